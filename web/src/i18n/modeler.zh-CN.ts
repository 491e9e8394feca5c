// 流程设计 (the modeler): merged into zh-CN.ts as `modeler`.
export default {
  menu: "流程设计",
  newDiagram: "新流程图", version: "版本 {n}", unsaved: "未部署的修改", open: "打开已部署的流程",
  new: "新建", upload: "打开文件", forms: "表单文件（{n}）", validate: "校验", deploy: "部署为新版本",
  valid: "校验通过，可以部署", invalid: "流程图有错误", notBpmn: "无法打开此文件",
  warnings: "{n} 个属性已读取但运行时不起作用",
  deployed: "已部署 {key} 版本 {n}", unchanged: "内容未变，仍为 {key} 版本 {n}",
  props: {
    id: "标识（id）", processKey: "流程标识（key）", processHint: "未选中元素：流程本身",
    name: "名称", laneRole: "泳道角色（泳道名即候选角色）", executable: "可执行",
    camundaTopic: "camunda:topic（Camunda Modeler 写法）", script: "脚本",
    timerKind: "定时类型", timer: "定时表达式", condition: "条件表达式",
    conditionHint: "如 decision == 'approve'", others: "其他扩展属性",
  },
  spiff: {
    formJsonSchemaFilename: "表单（formJsonSchemaFilename）", candidateUnit: "办理单位（candidateUnit）",
    candidateGroups: "候选角色（candidateGroups）", dueDate: "办理时限（dueDate）",
    externalTopic: "外部任务主题（externalTopic）",
  },
  spiffHint: {
    formJsonSchemaFilename: "如 report.json", candidateUnit: "表达式，如 unit",
    candidateGroups: "逗号分隔的角色", dueDate: "P3D、2026-07-15 或表达式",
  },
  timer: { timeDuration: "时长", timeDate: "日期", timeCycle: "周期" },
  timerHint: { timeDuration: "P30D 或表达式", timeDate: "2026-07-15T00:00:00+08:00", timeCycle: "R3/PT24H" },
  types: {
    Process: "流程", Collaboration: "协作", Participant: "池", Lane: "泳道", UserTask: "用户任务",
    ManualTask: "人工任务", ServiceTask: "服务任务（外部任务）", ScriptTask: "脚本任务", Task: "任务",
    SequenceFlow: "顺序流", ExclusiveGateway: "排他网关", ParallelGateway: "并行网关",
    InclusiveGateway: "包容网关", StartEvent: "开始事件", EndEvent: "结束事件",
    IntermediateCatchEvent: "中间捕获事件", BoundaryEvent: "边界事件", CallActivity: "调用活动",
    SubProcess: "子流程",
  },
};
