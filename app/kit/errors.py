"""Domain errors with meaning, mapped to HTTP in one place (`app.main`)."""

from typing import Any


class DomainError(Exception):
    """Base of every error a client can cause; `status` and `code` map it to a JSON response."""

    status = 400
    code = "bad_request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra


class NotFound(DomainError):
    status, code = 404, "not_found"


class InvalidBpmn(DomainError):
    """The uploaded diagram cannot be deployed; `errors` name each element and problem."""

    status, code = 422, "invalid_bpmn"


class InvalidData(DomainError):
    """Submitted data breaks a rule (form schema, reserved keys); `errors` name the fields."""

    status, code = 422, "invalid_data"


class TaskNotReady(DomainError):
    status, code = 409, "task_not_ready"


class TaskNotClaimable(DomainError):
    status, code = 409, "task_claimed"


class InstanceNotRunning(DomainError):
    status, code = 409, "instance_not_running"


class Suspended(DomainError):
    """The instance is suspended (挂起): nothing may move its tokens until it is activated."""

    status, code = 409, "suspended"


class NotSuspended(DomainError):
    """Activating what is not suspended."""

    status, code = 409, "not_suspended"


class DefinitionSuspended(DomainError):
    """The process definition version is suspended: it starts no new instance."""

    status, code = 409, "definition_suspended"


class ConcurrentUpdate(DomainError):
    """Optimistic locking gave up after its retries."""

    status, code = 409, "concurrent_update"


class ProcessError(DomainError):
    """The process failed while running (a refused or failing expression): an incident exists."""

    status, code = 422, "process_error"


class JobNotDue(DomainError):
    status, code = 409, "job_not_runnable"


class NoMessageReceiver(DomainError):
    status, code = 404, "no_receiver"


class AmbiguousCorrelation(DomainError):
    """A message (not sent to all) correlates with several waiting instances."""

    status, code = 409, "ambiguous_correlation"


class SignalLoop(DomainError):
    """Signals thrown in answer to signals went deeper than any process needs."""

    status, code = 409, "signal_loop"


class OutcomeUnknown(DomainError):
    """The connection failed during COMMIT: the change may or may not have been saved."""

    status, code = 503, "outcome_unknown"


class InvalidModification(DomainError):
    """A modification's instructions cannot apply to the instance's process (an unknown element,
    a boundary event, a called process's element, ...): `errors` name each instruction."""

    status, code = 422, "invalid_modification"


class ActivityNotLive(DomainError):
    """An instruction names an activity instance (or element) that is not live in the instance
    now: finished meanwhile (another request won the race), or never of this instance."""

    status, code = 409, "activity_not_live"


class ModificationFailed(DomainError):
    """The process failed while running on after a modification: nothing was changed."""

    status, code = 422, "modification_failed"
