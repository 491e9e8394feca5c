// English. Same keys as zh-CN.ts.
import modeler from "./modeler.en";
import ops from "./ops.en";
import repair from "./repair.en";
import migrate from "./migrate.en";
import versions from "./versions.en";
import oidc from "./oidc.en";
import dashboard from "./dashboard.en";
import process from "./process.en";
import matterExtensions from "./matter.en";
import diagram from "./diagram.en";
import lookback from "./lookback.en";
import a11y from "./a11y.en";
import langArea from "./lang.en";

export default {
  app: { title: "Ducha console", signOut: "Sign out", language: "中文", loading: "Loading…" },
  menu: { inbox: "My tasks", matters: "Matters" },
  common: {
    search: "Search", reset: "Reset", refresh: "Refresh", save: "Save", submit: "Submit", cancel: "Cancel",
    open: "Open", back: "Back", all: "All", yes: "Yes", no: "No", none: "None", total: "{n} in all",
    download: "Download", actions: "Actions", unit: "Unit", due: "Due", status: "Status", light: "Light",
    createdAt: "Created", required: "Required", error: "Something went wrong", done: "Done",
  },
  login: {
    title: "Sign in to Ducha", token: "Token (JWT)", tokenHint: "Paste a token from the intranet's identity provider",
    signIn: "Sign in", demoUsers: "Demo users", demoHint: "Demo run: click a user to sign in as them",
    invalid: "The token is invalid or has expired", header: "Signed in by the intranet proxy…",
  },
  oidc,
  roles: {
    admin: "Administrator", process_designer: "Process designer", supervision_office: "Supervision office",
    office_head: "Office head", leader: "Leader", division: "Business division",
    unit_handler: "Unit handler", unit_head: "Unit head", evaluator: "Evaluator", deputy: "Deputy",
    personnel: "Personnel", auditor: "Auditor", worker: "External system",
  },
  forms: {
    addRow: "Add a row", removeRow: "Remove this row", unsupported: "(unsupported field)",
    choices: {
      sign: "Sign for it", return: "Return", approve: "Approve", reject: "Reject", accept: "Accept", send_back: "Send back",
      pass: "Pass", passed: "Passed", failed: "Failed", confirm: "Confirm", merge: "Merge", amended: "Amended",
      upheld: "Upheld", revoked: "Revoked", good: "Good", fair: "Fair", poor: "Poor", satisfied: "Satisfied",
      basically_satisfied: "Basically satisfied", dissatisfied: "Dissatisfied", commend: "Commend", criticise: "Criticise",
      positive: "Positive", neutral: "Neutral", critical: "Critical", npc_deputy: "NPC deputy", cppcc_member: "CPPCC member",
      counsellor: "Counsellor", expert: "Expert",
    },
  },
  codes: {
    pending: "Pending", signed: "Signed", returned: "Returned", reassigned: "Reassigned", passed: "Passed",
    sent_back: "Sent back", on_time: "On time", late: "Late", ready: "Ready", completed: "Completed",
    cancelled: "Cancelled", remind: "Reminder", urge: "Urging", escalate: "Escalated", escalate_leader: "To the leader",
    sign_overdue: "Signing overdue", approved: "Approved", rejected: "Rejected", report: "Progress report",
    co_report: "Co-operating opinion", final_report: "Final report", progress_report: "Progress report", look_back_report: "Look-back report",
    sent: "Sent", failed: "Failed", queued: "Queued",
  },
  lights: { green: "Green", yellow: "Yellow", red: "Red" },
  inbox: {
    scope: "Scope", mine: "Mine to do", unit: "My unit's", all: "All I can see",
    task: "Task", process: "Process", assignee: "Assignee", overdue: "Overdue",
    claim: "Claim", unclaim: "Unclaim", complete: "Work on it", noForm: "This task has no form",
    completed: "Submitted", claimed: "Claimed", unclaimed: "Released", sortDue: "By due date",
    sortCreated: "By creation", processFilter: "Process", empty: "Nothing to do", input: "Matter",
    fixErrors: "Please correct the fields marked", dueEmpty: "No due date", openMatter: "Open the matter",
    q: "Find", qHint: "Number, title or unit", whose: "Whose", heldBy: "claimed by {who}", notClaimed: "Not claimed",
    tally: "{total} open tasks, {overdue} overdue, {dueSoon} due soon", noSubject: "{process} (no matter)",
    badge: "{total} open tasks, {overdue} overdue",
    kinds: {
      matter: "Matter", look_back: "Look-back", plan: "Annual plan", proposal: "Proposal", activity: "Activity",
      objection: "Objection", rectification: "Rectification", bulletin: "Bulletin", report: "Report",
      accountability: "Accountability",
    },
  },
  matters: {
    register: "Register", code: "Code", title: "Title", category: "Category", source: "Source",
    leadUnit: "Lead unit", coUnits: "Co-operating units", finalDue: "Final due", owner: "Office",
    overdue: "Overdue/red", q: "Number, title, content or lead unit", unitTree: "Unit (and below)", content: "Content",
    sourceRef: "Document or instruction", explicitDue: "Given deadline", divisionUnit: "Business division",
    assignedOn: "Assigned on", complexNpc: "Complex NPC suggestion (6 months)", registered: "Registered: {code}",
    counts: "By light", ledger: "Export ledger",
    status: { planning: "Planning", handling: "Handling", reviewing: "Reviewing", evaluating: "Evaluating", closed: "Closed" },
    categories: {
      reform: "Reform", law: "Laws and rules", meeting_document_policy: "Meetings, documents, policies",
      key_work: "Key work and projects", efficiency: "Efficiency and conduct",
      leader_instruction: "Leaders' instructions", proposal: "Suggestions and proposals", performance_audit: "Performance and audit",
    },
    sources: {
      meeting: "Meeting", document: "Document", leader_instruction: "Leader's instruction", annual_key_work: "Annual key work",
      npc_suggestion: "NPC suggestion", cppcc_proposal: "CPPCC proposal", reform_deployment: "Reform deployment",
      major_decision: "Major decision", other: "Other",
    },
  },
  matter: {
    deadlines: "Deadlines", assignments: "Assignments", reports: "Reports", urgings: "Urgings",
    extensions: "Extensions", timeline: "Timeline", documents: "Documents", tasks: "Open tasks",
    subMatters: "Sub-matters", notifications: "Notifications", rule: "Rule", outcome: "Outcome", daysLate: "Days late",
    role: "Role", receipt: "Receipt", signDue: "Sign by", signedAt: "Signed at", review: "Review",
    timeliness: "Timeliness", quality: "Quality", kind: "Kind", submittedBy: "By", submittedAt: "At",
    onTime: "On time", notice: "Notice", at: "At", requestedDue: "Requested", reason: "Reason",
    event: "Event", actor: "Actor", summary: "Summary", urgingNotice: "Urging notice (.docx)",
    ledger: "Matter ledger (.xlsx)", closedAt: "Closed at", lead: "Lead", co: "Co-operating",
  },
  modeler,
  ops,
  repair,
  migrate,
  ...versions,
  ...dashboard,
  ...process,
  ...matterExtensions,
  ...diagram,
  ...lookback,
  ...a11y,
  ...langArea,
};
