// One language at a time and the readable audit trail, merged into en.ts as `lang`.
export default {
  lang: {
    tech: "Technical details", ids: "Identifiers", raw: "Raw data", who: "Who", when: "When", which: "Object",
    what: "Action", changes: "Changes (before → after)", empty: "(empty)", step: "Step", objectKinds: {
      matter: "Matter", task: "Task", process_instance: "Process instance", process_definition: "Process",
      decision_definition: "Decision table", incident: "Incident", job: "Job", external_task: "External task",
      unit: "Unit", webhook: "Webhook subscription", plan: "Supervision plan", annual_plan: "Annual plan",
      activity: "Supervision activity", activity_proposal: "Unplanned activity", bulletin: "Bulletin",
      supervision_report: "Supervision report", rectification: "Rectification", accountability: "Accountability",
      score_weight_set: "Score weights", holiday_schedule: "Holiday calendar", migration_batch: "Instance migration",
      message: "Message", signal: "Signal", notification: "Notification", contact: "Contact details",
    },
    instanceRow: "Process instance", system: "System", stepQuote: ": {name}", version: "version {n}",
  },
};
