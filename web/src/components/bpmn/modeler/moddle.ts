// Moddle extensions so bpmn-js reads and writes what Ducha reads from a diagram:
// spiffworkflow:properties / spiffworkflow:property (as the SpiffWorkflow modeler writes them)
// and Camunda Modeler's camunda:type / camunda:topic / camunda:taskPriority on service tasks.
export const spiffworkflow = {
  name: "SpiffWorkflow",
  prefix: "spiffworkflow",
  uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
  xml: { tagAlias: "lowerCase" },
  associations: [],
  types: [
    {
      name: "Properties",
      superClass: ["Element"],
      meta: { allowedIn: ["*"] },
      properties: [{ name: "values", type: "Property", isMany: true }],
    },
    {
      name: "Property",
      superClass: ["Element"],
      properties: [
        { name: "name", type: "String", isAttr: true },
        { name: "value", type: "String", isAttr: true },
      ],
    },
  ],
};

export const camunda = {
  name: "Camunda",
  prefix: "camunda",
  uri: "http://camunda.org/schema/1.0/bpmn",
  xml: { tagAlias: "lowerCase" },
  associations: [],
  types: [
    {
      name: "ServiceTaskLike",
      isAbstract: true,
      extends: ["bpmn:ServiceTask"],
      properties: [
        { name: "type", type: "String", isAttr: true },
        { name: "topic", type: "String", isAttr: true },
        { name: "taskPriority", type: "String", isAttr: true },
      ],
    },
  ],
};

/** The roles a lane (or candidateGroups) may name: docs/processes.md. */
export const LANE_ROLES = [
  "supervision_office", "office_head", "division", "unit_handler", "unit_head", "leader",
  "evaluator", "deputy", "personnel",
];

export const SPIFF_TASK_PROPERTIES = [
  "formJsonSchemaFilename", "candidateUnit", "candidateGroups", "dueDate",
];

export const NEW_DIAGRAM = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs_new_process" targetNamespace="http://ducha.gov.cn/bpmn">
  <bpmn:process id="new_process" name="新流程" isExecutable="true">
    <bpmn:startEvent id="start" name="开始" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram">
    <bpmndi:BPMNPlane id="plane" bpmnElement="new_process">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
`;
