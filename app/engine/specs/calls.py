"""Call activities (调用活动) whose called process may be deployed after them.

A call to a process not deployed yet is left out of the instance's specs (late binding,
`app.engine.runtime.caches.SpecCache.bind`); reaching it fails with an incident on the call
activity that says which process is missing.
"""

from typing import Any

from SpiffWorkflow.spiff.specs.defaults import CallActivity as SpiffCallActivity


class CallActivity(SpiffCallActivity):
    """SpiffWorkflow's call activity (same name: history records the element type by it), whose
    missing called process is named as not deployed."""

    def get_missing_subworkflow_error(self, my_task: Any) -> str:
        """The incident's message when the called process is not among the instance's specs."""
        return f"called process '{self.spec}' is not deployed"
