// Operations and audit: merged into en.ts as `ops`.
export default {
  menu: "Operations", auditMenu: "Audit",
  tabs: {
    jobs: "Timers", incidents: "Incidents", externalTasks: "External tasks", migrations: "Migration", webhooks: "Webhooks", units: "Units", audit: "Audit trail" },
  jobs: {
    status: "Status", waiting: "waiting", failed: "failed", element: "Element", kind: "Kind", due: "Due",
    attempts: "Attempts", error: "Error", instance: "Instance", execute: "Execute now", executed: "Executed",
    confirm: "Fire this timer now?",
  },
  external: {
    topic: "Topic", withIncident: "With incident", process: "Process", element: "Element", retries: "Retries left",
    worker: "Worker", lock: "Locked until", error: "Error", setRetries: "Set retries", retriesSet: "Retries set",
    retriesPrompt: "Retries (≥1)",
  },
  webhooks: {
    new: "New subscription", url: "URL", types: "Event types", typesHint: "comma-separated: matter.*, task.created or *",
    scope: "Unit scope", scopeHint: "empty: every unit", description: "Description", active: "active", inactive: "inactive",
    secret: "Secret", secretOnce: "The signing secret is shown only now; copy it:", created: "Subscription created",
    deactivate: "Deactivate", activate: "Activate", deliveries: "Deliveries", changed: "Updated",
  },
  deliveries: {
    title: "Deliveries", event: "Event", status: "Status", attempts: "Attempts", next: "Next attempt", code: "Response",
    error: "Error", delivered: "delivered", pending: "pending", failed: "failed", retry: "Retry",
    retried: "Sent again", log: "Attempts", duration: "Duration (ms)", back: "Back to subscriptions",
  },
  units: {
    code: "Code", name: "Name", kind: "Kind", level: "Level", parent: "Parent", active: "Active",
    add: "Add unit", edit: "Edit", saved: "Saved", addChild: "Add below",
    kinds: {
      government: "government", general_office: "general office", division: "division",
      supervision_office: "supervision office", department: "department",
    },
    levels: { province: "province", city: "city", county: "county" },
  },
  audit: {
    verify: "Chain verification", intact: "The audit chain is intact", broken: "The audit chain was tampered with",
    checked: "{n} records checked", firstBad: "First bad record: #{id}", reason: "Reason", at: "At", actor: "Actor",
    action: "Action", object: "Object", unit: "Unit", instance: "Instance", data: "Data", since: "From", until: "To",
    objectType: "Object type", objectId: "Object id",
  },
};
