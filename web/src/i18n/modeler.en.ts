// The modeler: merged into en.ts as `modeler`.
export default {
  menu: "Modeler",
  newDiagram: "New diagram", version: "version {n}", unsaved: "changes not deployed", open: "Open a deployed process",
  new: "New", upload: "Open file", forms: "Form files ({n})", validate: "Validate", deploy: "Deploy as new version",
  valid: "Valid: ready to deploy", invalid: "The diagram has errors", notBpmn: "Cannot open this file",
  warnings: "{n} attribute(s) read but not used at run time",
  deployed: "Deployed {key} version {n}", unchanged: "Unchanged: still {key} version {n}",
  props: {
    id: "Id", processKey: "Process key", processHint: "Nothing selected: the process",
    name: "Name", laneRole: "Lane role (the lane's name is the candidate role)", executable: "Executable",
    camundaTopic: "camunda:topic (Camunda Modeler)", script: "Script",
    timerKind: "Timer type", timer: "Timer expression", condition: "Condition expression",
    conditionHint: "e.g. decision == 'approve'", others: "Other extension properties",
  },
  spiff: {
    formJsonSchemaFilename: "Form (formJsonSchemaFilename)", candidateUnit: "Unit (candidateUnit)",
    candidateGroups: "Candidate roles (candidateGroups)", dueDate: "Due (dueDate)",
    externalTopic: "External task topic (externalTopic)",
  },
  spiffHint: {
    formJsonSchemaFilename: "e.g. report.json", candidateUnit: "an expression, e.g. unit",
    candidateGroups: "comma-separated roles", dueDate: "P3D, 2026-07-15 or an expression",
  },
  timer: { timeDuration: "Duration", timeDate: "Date", timeCycle: "Cycle" },
  timerHint: { timeDuration: "P30D or an expression", timeDate: "2026-07-15T00:00:00+08:00", timeCycle: "R3/PT24H" },
  types: {
    Process: "Process", Collaboration: "Collaboration", Participant: "Pool", Lane: "Lane", UserTask: "User task",
    ManualTask: "Manual task", ServiceTask: "Service task (external)", ScriptTask: "Script task", Task: "Task",
    SequenceFlow: "Sequence flow", ExclusiveGateway: "Exclusive gateway", ParallelGateway: "Parallel gateway",
    InclusiveGateway: "Inclusive gateway", StartEvent: "Start event", EndEvent: "End event",
    IntermediateCatchEvent: "Intermediate catch event", BoundaryEvent: "Boundary event", CallActivity: "Call activity",
    SubProcess: "Subprocess",
  },
};
