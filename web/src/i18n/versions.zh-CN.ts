// 挂起 / 激活 and the duration statistics (耗时热力图): merged into zh-CN.ts as `suspend`, `heat`.
export default {
  suspend: {
    suspend: "挂起", activate: "激活", suspended: "已挂起",
    instanceSuspend: "挂起流程实例", instanceActivate: "激活流程实例",
    instanceSuspendSummary: "挂起后，其任务不能办理，定时器不触发，外部任务不派发，直到激活。",
    instanceActivateSummary: "激活后流程继续；挂起期间到期的定时器将随即触发。",
    instanceSuspended: "流程实例已挂起", instanceActivated: "流程实例已激活",
    versionSuspend: "挂起流程版本", versionActivate: "激活流程版本",
    versionSuspendHint: "挂起的版本不能再发起新实例；已在运行的实例照常运行，除非一并挂起。",
    versionActivateHint: "激活后可再发起此版本的新实例。",
    includeRunning: "同时挂起此版本运行中的实例（本单位有权管理的）", includeSuspended: "同时激活此版本已挂起的实例",
    versionSuspendSummary: "将挂起 {key} 第 {v} 版。", versionActivateSummary: "将激活 {key} 第 {v} 版。",
    withRunning: "其运行中的实例一并挂起。", withSuspended: "其已挂起的实例一并激活。",
    versionDone: "已完成，涉及实例 {n} 个", inVersion: "版本的挂起记录", inTrailUnread: "已写入审计日志",
  },
  heat: {
    title: "耗时热力图", mean: "平均", p50: "中位数", p95: "95%分位", max: "最长", active: "进行中",
    completed: "已完成", cancelled: "已取消", incidents: "故障", count: "样本数", none: "此版本尚无已完成的节点",
    stats: "节点耗时统计", tooltip: "{n} 次完成，中位数 {p50}，95%分位 {p95}", openStats: "查看此版本的节点耗时统计",
    dh: "{d}天{h}小时", hm: "{h}小时{m}分", m: "{m}分钟", s: "{s}秒",
  },
};
