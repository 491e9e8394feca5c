"""From BPMN files to checked SpiffWorkflow specs (the deploy-time half of the engine)."""
