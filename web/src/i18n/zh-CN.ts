// 简体中文 (default). Keys are shared with en.ts; a page adds its own block.
import modeler from "./modeler.zh-CN";
import ops from "./ops.zh-CN";
import repair from "./repair.zh-CN";
import migrate from "./migrate.zh-CN";
import versions from "./versions.zh-CN";
import oidc from "./oidc.zh-CN";
import dashboard from "./dashboard.zh-CN";
import process from "./process.zh-CN";
import matterExtensions from "./matter.zh-CN";
import diagram from "./diagram.zh-CN";
import lookback from "./lookback.zh-CN";
import a11y from "./a11y.zh-CN";
import langArea from "./lang.zh-CN";

export default {
  app: { title: "督查工作台", signOut: "退出", language: "English", loading: "加载中…" },
  menu: { inbox: "我的待办", matters: "督查事项" },
  common: {
    search: "查询", reset: "重置", refresh: "刷新", save: "保存", submit: "提交", cancel: "取消",
    open: "打开", back: "返回", all: "全部", yes: "是", no: "否", none: "无", total: "共 {n} 条",
    download: "下载", actions: "操作", unit: "单位", due: "时限", status: "状态", light: "灯色",
    createdAt: "创建时间", required: "必填", error: "出错了", done: "已完成",
  },
  login: {
    title: "登录督查工作台", token: "令牌（JWT）", tokenHint: "粘贴内网身份认证签发的令牌",
    signIn: "登录", demoUsers: "演示用户", demoHint: "演示环境：点击一位用户即以其身份登录",
    invalid: "令牌无效或已过期", header: "由内网代理认证，正在进入…",
  },
  oidc,
  roles: {
    admin: "系统管理员", process_designer: "流程设计员", supervision_office: "督查室",
    office_head: "督查室负责人", leader: "政府领导", division: "业务处室",
    unit_handler: "承办人", unit_head: "单位负责人", evaluator: "第三方评估", deputy: "代表委员",
    personnel: "组织人事", auditor: "审计", worker: "外部系统",
  },
  forms: {
    addRow: "添加一行", removeRow: "删除此行", unsupported: "（此字段请联系管理员）",
    choices: {
      sign: "签收", return: "退回", approve: "同意", reject: "不同意", accept: "通过", send_back: "退回修改",
      pass: "通过", passed: "通过", failed: "未通过", confirm: "确认", merge: "合并", amended: "变更",
      upheld: "维持", revoked: "撤销", good: "好", fair: "一般", poor: "差", satisfied: "满意",
      basically_satisfied: "基本满意", dissatisfied: "不满意", commend: "表扬", criticise: "批评",
      positive: "正面", neutral: "中性", critical: "负面", npc_deputy: "人大代表", cppcc_member: "政协委员",
      counsellor: "参事", expert: "专家",
    },
  },
  codes: {
    pending: "待办", signed: "已签收", returned: "已退回", reassigned: "已改派", passed: "已通过",
    sent_back: "已退回修改", on_time: "按时", late: "逾期", ready: "待办理", completed: "已完成",
    cancelled: "已取消", remind: "提醒", urge: "催办", escalate: "督办", escalate_leader: "领导督办",
    sign_overdue: "签收逾期", approved: "已批准", rejected: "未批准", report: "进展报告",
    co_report: "配合意见", final_report: "办理情况", progress_report: "进展报告", look_back_report: "回头看报告",
    sent: "已发送", failed: "发送失败", queued: "待发送",
  },
  lights: { green: "绿灯", yellow: "黄灯", red: "红灯" },
  inbox: {
    scope: "范围", mine: "我可办理", unit: "本单位", all: "我可查看的",
    task: "任务", process: "流程", assignee: "办理人", overdue: "已逾期",
    claim: "认领", unclaim: "退回认领", complete: "办理", noForm: "此任务无需填写表单",
    completed: "已提交", claimed: "已认领", unclaimed: "已退回", sortDue: "按时限",
    sortCreated: "按创建时间", processFilter: "流程", empty: "暂无待办", input: "事项信息",
    fixErrors: "请按提示修改后再提交", dueEmpty: "无时限", openMatter: "查看督查事项",
    q: "查找", qHint: "编号、事项名称或单位", whose: "承办", heldBy: "{who} 已认领", notClaimed: "待认领",
    tally: "共 {total} 项待办，已逾期 {overdue} 项，即将到期 {dueSoon} 项", noSubject: "{process}（未关联事项）",
    badge: "待办 {total} 项，已逾期 {overdue} 项",
    kinds: {
      matter: "督查事项", look_back: "回头看", plan: "年度计划", proposal: "计划外报审", activity: "督查活动",
      objection: "复核申请", rectification: "限期整改", bulletin: "通报", report: "督查报告", accountability: "问责",
    },
  },
  matters: {
    register: "立项", code: "编号", title: "事项名称", category: "类别", source: "来源",
    leadUnit: "牵头单位", coUnits: "配合单位", finalDue: "办结时限", owner: "督查室",
    overdue: "逾期/红灯", q: "编号、名称、内容或牵头单位", unitTree: "承办单位（含下级）", content: "事项内容",
    sourceRef: "文号或批示", explicitDue: "指定时限", divisionUnit: "会同业务处室",
    assignedOn: "交办日期", complexNpc: "复杂建议（6个月）", registered: "已立项：{code}",
    counts: "灯色统计", ledger: "导出台账",
    status: { planning: "方案审批", handling: "办理中", reviewing: "审核中", evaluating: "评价中", closed: "已办结" },
    categories: {
      reform: "改革部署", law: "法律法规规章", meeting_document_policy: "重要会议、文件、政策",
      key_work: "重点工作、重大项目、民生实事", efficiency: "职能转变、行政效能、行风建设",
      leader_instruction: "领导批示交办", proposal: "建议提案办理", performance_audit: "绩效、预算、审计整改",
    },
    sources: {
      meeting: "重要会议", document: "重要文件", leader_instruction: "领导批示", annual_key_work: "年度重点工作",
      npc_suggestion: "人大代表建议", cppcc_proposal: "政协提案", reform_deployment: "改革部署",
      major_decision: "重大决策", other: "其他",
    },
  },
  matter: {
    deadlines: "时限", assignments: "交办单位", reports: "办理情况", urgings: "催办督办",
    extensions: "延期申请", timeline: "办理过程", documents: "文书", tasks: "当前任务",
    subMatters: "子事项", notifications: "通知", rule: "依据", outcome: "结果", daysLate: "逾期天数",
    role: "角色", receipt: "签收", signDue: "签收时限", signedAt: "签收时间", review: "审核",
    timeliness: "时效", quality: "质量", kind: "类型", submittedBy: "报送人", submittedAt: "报送时间",
    onTime: "按时", notice: "通知", at: "时间", requestedDue: "申请延至", reason: "理由",
    event: "事件", actor: "操作人", summary: "摘要", urgingNotice: "催办通知书（.docx）",
    ledger: "事项台账（.xlsx）", closedAt: "办结时间", lead: "牵头", co: "配合",
  },
  modeler,
  ops,
  repair,
  migrate,
  ...versions,
  ...dashboard,
  ...process,
  ...matterExtensions,
  ...diagram,
  ...lookback,
  ...a11y,
  ...langArea,
};
