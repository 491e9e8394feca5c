// Process view and definitions strings, merged into en.ts.
export default {
  process: {
    title: "Process instance", definition: "Definition", version: "Version", status: "Status",
    businessKey: "Business key", unit: "Unit", createdAt: "Started", endedAt: "Ended", createdBy: "Started by",
    matter: "Matter", diagram: "Diagram", called: "Called process: {name}",
    calledNote: "A called process runs inside the same instance and is marked from its state.",
    variables: "Variables", history: "History", incidents: "Incidents", tasks: "Open tasks",
    timers: "Waiting timers", name: "Name", value: "Value", at: "At", event: "Event", element: "Element",
    type: "Type", actor: "Actor", data: "Data", kind: "Kind", message: "Message", dueAt: "Due",
    retry: "Retry", retried: "Retried", resolved: "Resolved", noIncidents: "No incidents", open: "Open",
    attempts: "Attempts", lastError: "Last error", noRetry: "No job to retry for this incident",
    legend: { completed: "Completed", active: "Active", timer: "Waiting timer", failed: "Failed" },
    statuses: { running: "Running", completed: "Completed", cancelled: "Cancelled", error: "Error" },
    events: {
      instance_started: "Started", element_completed: "Element completed", task_created: "Task created",
      task_completed: "Task completed", task_claimed: "Task claimed", task_unclaimed: "Task unclaimed",
      task_assigned: "Task assigned", task_cancelled: "Task cancelled", timer_fired: "Timer fired",
      message_received: "Message received", incident_raised: "Incident", job_failed: "Job failed", variables_set: "Variables set",
      external_task_created: "External task created", external_task_completed: "External task completed",
      external_task_failed: "External task failed", external_task_bpmn_error: "External task BPMN error",
      external_task_retries_set: "External task retries set", incident_resolved: "Incident resolved",
      instance_completed: "Ended", instance_cancelled: "Cancelled",
    },
  },
  definitions: {
    menu: "Processes", title: "Process definitions", key: "Key", name: "Name", version: "Version",
    deployedAt: "Deployed", deployedBy: "Deployed by", file: "File", versions: "Versions side by side",
    left: "Left", right: "Right", openModeler: "Open in the modeler", added: "Added elements",
    removed: "Removed elements", diffHint: "Right against left: added elements in green, removed in red.",
    onlyOne: "This process has one version.", calls: "Calls",
  },
};
