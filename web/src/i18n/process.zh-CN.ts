// 流程视图 and 流程定义 strings, merged into zh-CN.ts.
export default {
  process: {
    title: "流程实例", definition: "流程定义", version: "版本", status: "状态", businessKey: "业务编号",
    unit: "所属单位", createdAt: "发起时间", endedAt: "结束时间", createdBy: "发起人", matter: "督查事项",
    diagram: "流程图", called: "调用的子流程：{name}", calledNote: "子流程在同一流程实例中运行，按本实例的进度标注。",
    variables: "流程变量", history: "流转记录", incidents: "故障", tasks: "当前任务", timers: "等待中的定时器",
    name: "名称", value: "值", at: "时间", event: "事件", element: "节点", type: "类型", actor: "操作人",
    data: "数据", kind: "类型", message: "说明", dueAt: "到期时间", retry: "重试", retried: "已重试",
    resolved: "已解决", noIncidents: "无故障", open: "打开", attempts: "尝试次数", lastError: "最近错误",
    noRetry: "此故障没有可重试的作业", legend: {
      completed: "已完成", active: "进行中", timer: "等待定时器", failed: "故障",
    },
    statuses: { suspended: "已挂起", running: "运行中", completed: "已完成", cancelled: "已取消", error: "出错" },
    events: {
      instance_started: "流程发起", element_completed: "节点完成", task_created: "任务生成",
      task_completed: "任务完成", task_claimed: "任务认领", task_unclaimed: "退回认领",
      task_assigned: "任务指派", task_cancelled: "任务取消", timer_fired: "定时器触发",
      message_received: "收到消息", incident_raised: "发生故障", job_failed: "作业失败", variables_set: "变量更新",
      external_task_created: "外部任务生成", external_task_completed: "外部任务完成", external_task_failed: "外部任务失败",
      external_task_bpmn_error: "外部任务业务错误", external_task_retries_set: "外部任务重试", incident_resolved: "故障解决",
      incident_retry_failed: "重试失败", job_retries_set: "作业重试次数设置", job_due_set: "定时器改期",
      task_variables_set: "任务变量更新",
      instance_modified: "实例修改", instance_migrated: "实例迁移", instance_suspended: "流程挂起", instance_activated: "流程激活",
      instance_completed: "流程结束", instance_cancelled: "流程取消",
    },
  },
  definitions: {
    menu: "流程定义", title: "流程定义", key: "流程标识", name: "名称", version: "版本",
    deployedAt: "部署时间", deployedBy: "部署人", file: "文件", versions: "版本对照",
    left: "左侧版本", right: "右侧版本", openModeler: "在建模器中打开", added: "新增节点",
    removed: "删除节点", diffHint: "右侧相对左侧：新增的节点以绿色标出，删除的以红色标出。",
    onlyOne: "此流程只有一个版本。", calls: "调用",
  },
};
