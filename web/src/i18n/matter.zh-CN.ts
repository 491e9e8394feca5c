// 延期申请 (extension requests) on the matter page, merged into zh-CN.ts.
export default {
  extension: {
    request: "申请延期", title: "申请延期", deadline: "延期的时限", currentDue: "现时限",
    requestedDue: "申请延至", reason: "延期理由", progress: "目前进展", submit: "提交申请",
    noOpenDeadline: "本单位在此事项上没有未完成的时限", filed: "已提交延期申请，待督查室审批",
    fixErrors: "请按提示修改后再提交", pickDeadline: "请选择时限", pickDate: "选择日期",
    reasonHint: "说明不能按期完成的原因", progressHint: "已完成的工作和下一步安排",
    approve: "批准", reject: "驳回", decide: "审批延期申请", comment: "意见",
    commentHint: "审批意见（可不填）", approved: "已批准延期，时限已调整", rejected: "已驳回延期申请",
    decidedBy: "审批人", decisionComment: "审批意见", requestedBy: "申请人", original: "原 {due}",
    mustBeAfter: "须晚于现时限 {due}", alreadyDue: "时限 {due} 已到，不能再申请延期",
    empty: "暂无延期申请",
    errors: {
      deadline_passed: "时限已到，不能再申请延期（须在时限届满前提出）",
      invalid_data: "请按提示修改后再提交", invalid_request: "请按提示修改后再提交",
      already_decided: "该申请已审批", forbidden: "无权进行此操作", not_found: "未找到本单位在此事项上的该时限",
    },
    status: { pending: "待审批", approved: "已批准", rejected: "已驳回" },
  },
};
