// 运维 (operations) and 审计 (audit): merged into zh-CN.ts as `ops`.
export default {
  menu: "运维", auditMenu: "审计",
  tabs: {
    jobs: "定时任务", incidents: "故障", externalTasks: "外部任务", migrations: "实例迁移", webhooks: "Webhook 订阅", units: "单位", audit: "审计日志" },
  jobs: {
    status: "状态", waiting: "等待中", failed: "失败", element: "元素", kind: "类型", due: "到期时间",
    attempts: "尝试次数", error: "错误", instance: "流程实例", execute: "立即执行", executed: "已执行",
    confirm: "立即触发此定时任务？",
  },
  external: {
    topic: "主题", withIncident: "有故障", process: "流程", element: "元素", retries: "剩余重试",
    worker: "执行者", lock: "锁定至", error: "错误", setRetries: "设置重试", retriesSet: "已设置重试",
    retriesPrompt: "重试次数（≥1）",
  },
  webhooks: {
    new: "新建订阅", url: "地址", types: "事件类型", typesHint: "逗号分隔，如 matter.*、task.created 或 *",
    scope: "单位范围", scopeHint: "留空：全部单位", description: "说明", active: "启用", inactive: "已停用",
    secret: "密钥", secretOnce: "签名密钥只显示这一次，请立即复制保存：", created: "已创建订阅",
    deactivate: "停用", activate: "启用", deliveries: "投递记录", changed: "已更新",
  },
  deliveries: {
    title: "投递记录", event: "事件", status: "状态", attempts: "尝试", next: "下次尝试", code: "响应码",
    error: "错误", delivered: "已送达", pending: "待投递", failed: "失败", retry: "重新投递",
    retried: "已重新投递", log: "尝试记录", duration: "耗时（毫秒）", back: "返回订阅列表",
  },
  units: {
    code: "代码", name: "名称", kind: "类型", level: "层级", parent: "上级单位", active: "启用",
    add: "新增单位", edit: "编辑", saved: "已保存", addChild: "新增下级",
    kinds: {
      government: "人民政府", general_office: "办公厅（室）", division: "业务处室",
      supervision_office: "督查室", department: "部门",
    },
    levels: { province: "省", city: "市", county: "县（区）" },
  },
  audit: {
    verify: "审计链校验", intact: "审计链完整", broken: "审计链被篡改", checked: "已校验 {n} 条记录",
    firstBad: "第一条异常记录：#{id}", reason: "原因", at: "时间", actor: "操作人", action: "操作",
    object: "对象", unit: "单位", instance: "流程实例", data: "内容", since: "起", until: "止",
    objectType: "对象类型", objectId: "对象标识",
  },
};
