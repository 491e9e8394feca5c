"""Chinese labels of the codes that ledgers print (official-facing text)."""

STATUS = {
    "planning": "制定方案",
    "handling": "办理中",
    "reviewing": "审核中",
    "evaluating": "评价中",
    "closed": "已办结",
    "rectifying": "整改中",
}
LIGHT = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}
CATEGORY = {
    "reform": "改革部署",
    "law": "法律法规规章",
    "meeting_document_policy": "重要会议、文件和重大政策措施",
    "key_work": "重点工作、重大项目、民生实事",
    "efficiency": "职能转变、行政效能、行风建设",
    "leader_instruction": "领导批示交办",
    "proposal": "建议提案办理",
    "performance_audit": "绩效管理、预算执行、审计整改",
}
SOURCE = {
    "meeting": "重要会议",
    "document": "重要文件",
    "leader_instruction": "领导批示",
    "annual_key_work": "年度重点工作",
    "npc_suggestion": "人大代表建议",
    "cppcc_proposal": "政协提案",
    "reform_deployment": "改革部署",
    "major_decision": "重大决策",
    "other": "其他",
}
PART_STATUS = {
    "plan": "待报整改方案",
    "plan_sign_off": "单位负责人审签",
    "plan_review": "督查室确认方案",
    "rectifying": "整改中",
    "verifying": "核查中",
    "accepted": "整改到位",
}
OUTCOME = {"on_time": "按期", "late": "逾期"}
