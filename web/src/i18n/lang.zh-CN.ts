// 一种语言 (one language at a time) and the readable audit trail, merged into zh-CN.ts as `lang`.
export default {
  lang: {
    tech: "技术详情", ids: "标识", raw: "原始数据", who: "操作人", when: "时间", which: "对象", what: "操作",
    changes: "变更（前 → 后）", empty: "（空）", step: "步骤", objectKinds: {
      matter: "督查事项", task: "任务", process_instance: "流程实例", process_definition: "流程",
      decision_definition: "决策表", incident: "故障", job: "定时任务", external_task: "外部任务",
      unit: "单位", webhook: "Webhook 订阅", plan: "督查计划", annual_plan: "年度督查计划",
      activity: "督查活动", activity_proposal: "计划外督查事项", bulletin: "通报",
      supervision_report: "督查报告", rectification: "整改", accountability: "问责",
      score_weight_set: "考评权重", holiday_schedule: "节假日安排", migration_batch: "实例迁移",
      message: "消息", signal: "信号", notification: "通知", contact: "联系方式",
    },
    instanceRow: "流程实例", system: "系统", stepQuote: "「{name}」", version: "第 {n} 版",
  },
};
