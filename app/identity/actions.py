"""What each audit action reads as to an official (审计操作名称), in Chinese and English.

Every action the code writes (`audit.record` / `audit.record_change`) has a label here; a test
(tests/console/test_one_language.py) walks the code and fails on an action without one. An
action written by older code and since renamed reads as itself.
"""

ACTIONS: dict[str, tuple[str, str]] = {
    "accountability.propose": ("提出问责建议", "Proposed accountability"),
    "activity.attachment": ("上传督查活动附件", "Attached a file to an activity"),
    "activity.coverage": ("登记督查覆盖情况", "Recorded an activity's coverage"),
    "activity.create": ("创建督查活动", "Created a supervision activity"),
    "activity.look_back": ("发起活动回头看", "Started a look-back on an activity"),
    "activity.objection": ("提出复核申请", "Objected to a conclusion"),
    "activity.survey_import": ("导入问卷结果", "Imported survey results"),
    "bulletin.draft": ("起草通报", "Drafted a bulletin"),
    "calendar.load": ("导入节假日安排", "Loaded the holiday calendar"),
    "conditions.evaluate": ("重新判断条件事件", "Re-evaluated conditional events"),
    "contact.delete": ("删除联系方式", "Deleted contact details"),
    "contact.update": ("修改联系方式", "Changed contact details"),
    "decision.deploy": ("发布决策表", "Deployed a decision table"),
    "definition.activate": ("恢复流程版本", "Activated a process version"),
    "definition.deploy": ("发布流程", "Deployed a process"),
    "definition.suspend": ("挂起流程版本", "Suspended a process version"),
    "external_task.bpmn_error": ("外部任务报告业务错误", "External task reported a business error"),
    "external_task.complete": ("外部任务完成", "External task completed"),
    "external_task.extend_lock": ("外部任务延长锁定", "External task lock extended"),
    "external_task.failure": ("外部任务失败", "External task failed"),
    "external_task.lock": ("领取外部任务", "Fetched and locked external tasks"),
    "external_task.set_retries": ("设置外部任务重试次数", "Set an external task's retries"),
    "incident.resolve": ("标记故障已处理", "Resolved an incident"),
    "incident.retry": ("重试故障", "Retried an incident"),
    "instance.activate": ("恢复流程实例", "Activated a process instance"),
    "instance.cancel": ("撤销流程实例", "Cancelled a process instance"),
    "instance.modify": ("调整流程实例", "Modified a process instance"),
    "instance.start": ("启动流程", "Started a process"),
    "instance.suspend": ("挂起流程实例", "Suspended a process instance"),
    "instance.variables.update": ("修改流程变量", "Changed process variables"),
    "job.due_date": ("修改定时任务时间", "Changed a job's due date"),
    "job.execute": ("立即执行定时任务", "Executed a job now"),
    "job.retries": ("设置定时任务重试次数", "Set a job's retries"),
    "matter.extension_decision": ("审批延期申请", "Decided an extension request"),
    "matter.extension_request": ("申请延期", "Requested an extension"),
    "matter.look_back": ("发起回头看", "Started a look-back"),
    "matter.register": ("督查事项立项", "Registered a matter"),
    "message.send": ("发送消息", "Sent a message"),
    "migration.create": ("发起实例迁移", "Started an instance migration"),
    "migration.finish": ("实例迁移完成", "Instance migration finished"),
    "notification.retry": ("重发通知", "Resent a notification"),
    "plan.draft": ("起草督查计划", "Drafted a supervision plan"),
    "plan.revise": ("修改督查计划", "Revised a supervision plan"),
    "proposal.submit": ("报审计划外督查事项", "Submitted an unplanned activity"),
    "rectification.open": ("下达整改", "Opened a rectification"),
    "report.draft": ("起草督查报告", "Drafted a supervision report"),
    "scores.weights": ("调整考评权重", "Changed the score weights"),
    "signal.send": ("发送信号", "Sent a signal"),
    "task.assign": ("指派任务", "Assigned a task"),
    "task.claim": ("认领任务", "Claimed a task"),
    "task.complete": ("办理任务", "Completed a task"),
    "task.unclaim": ("退回任务", "Released a task"),
    "task.variables.update": ("修改任务变量", "Changed task variables"),
    "unit.auto_create": ("自动创建单位", "Created a unit on first sign-in"),
    "unit.create": ("新增单位", "Added a unit"),
    "unit.update": ("修改单位", "Changed a unit"),
    "webhook.create": ("新建 Webhook 订阅", "Created a webhook subscription"),
    "webhook.delete": ("删除 Webhook 订阅", "Deleted a webhook subscription"),
    "webhook.retry": ("重新投递 Webhook", "Retried a webhook delivery"),
    "webhook.update": ("修改 Webhook 订阅", "Changed a webhook subscription"),
}


def action_names(action: str) -> dict[str, str]:
    """The action's label per language; an unknown action reads as itself."""
    zh, en = ACTIONS.get(action, (action, action))
    return {"zh-CN": zh, "en": en}
