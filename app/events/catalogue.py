"""Every event type Ducha emits (without the `ducha.` prefix), with what it means."""

ENGINE = {
    "instance.started": "a process instance started",
    "instance.completed": "a process instance completed",
    "instance.cancelled": "a process instance was cancelled",
    "instance.failed": "a process instance failed (an incident was raised)",
    "instance.modified": "an operator modified an instance (activities cancelled or started)",
    "instance.variables_changed": "an operator changed an instance's (or a task's) variables",
    "instance.suspended": "a process instance was suspended (挂起): its tokens do not move",
    "instance.activated": "a suspended process instance was activated (激活)",
    "definition.suspended": "a process definition version was suspended: it starts no instance",
    "definition.activated": "a suspended process definition version was activated",
    "task.created": "a human task became ready (待办)",
    "task.assigned": "a task was (re-)assigned to a user or unit, or released",
    "task.claimed": "a user claimed a task",
    "task.completed": "a human task was completed",
    "timer.fired": "a waiting timer fired",
    "incident.raised": "an incident was raised on an instance",
    "incident.resolved": "an incident was resolved",
    "instance.migrated": "a running instance was migrated to another version (实例迁移)",
    "migration.finished": "a migration batch finished: every instance migrated, failed or skipped",
}
MATTER = {
    "matter.registered": "a matter was registered (立项)",
    "matter.assigned": "a unit was given its part of a matter (交办)",
    "matter.signed_for": "a unit signed for its part (签收)",
    "matter.returned": "a unit returned its part (退回)",
    "matter.reported": "a unit reported (进展 / 配合意见 / 办理情况)",
    "matter.report_sent_back": "the office sent a report back (审核退回)",
    "matter.light_changed": "the matter's light changed (红黄绿灯)",
    "matter.urged": "a reminder or urging notice (提醒 / 催办)",
    "matter.escalated": "an escalation (督办)",
    "matter.extension_requested": "a unit requested an extension (延期申请)",
    "matter.extension_rejected": "the office rejected an extension",
    "matter.extended": "the office approved an extension: a deadline moved",
    "matter.closed": "the matter closed (办结销号)",
    "matter.evaluated": "the office evaluated the units (办结评价)",
}
RESULTS = {
    "plan.approved": "an annual supervision plan was approved (督查计划)",
    "activity.concluded": "a supervision activity concluded (督查活动)",
    "bulletin.issued": "a bulletin was issued (通报)",
    "accountability.decided": "an accountability proposal was decided (问责)",
    "rectification.opened": "a rectification was ordered (限期整改)",
    "rectification.urged": "a rectifying unit was urged (整改催办)",
    "rectification.due": "a unit's rectification came due unaccepted (整改逾期)",
    "rectification.accepted": "a unit's rectification was accepted (整改到位)",
}
EXTERNAL = {
    "external_task.created": "an external task waits for a worker",
    "external_task.locked": "a worker locked an external task",
    "external_task.completed": "a worker completed an external task",
    "external_task.failed": "a worker reported a failure",
}
TYPES: dict[str, str] = {**ENGINE, **MATTER, **RESULTS, **EXTERNAL}
