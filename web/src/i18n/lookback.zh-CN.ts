// 回头看 (look-backs) and 分解 / 子事项 (sub-matters), merged into zh-CN.ts.
export default {
  lookback: {
    menu: "回头看", title: "回头看", forMatter: "安排回头看",
    intro: "对已办结事项开展回头看：到复核时限督查室复核落实情况，未落实的事项重新打开，牵头单位限期整改。",
    schedule: "安排回头看", matter: "督查事项", pickMatter: "输入编号或标题，选择已办结事项",
    checkDays: "复核时限（自今日起，天）", rectifyDays: "整改时限（复核后，天）", submit: "安排",
    hint: "复核时限与整改时限按自然日计算；只有已办结的事项可以回头看。",
    scheduled: "已安排回头看", none: "暂无回头看", leadUnit: "牵头单位", scheduledAt: "安排时间",
    checkDue: "复核时限", rectifyDue: "整改时限", by: "安排人",
    errors: { matter_not_closed: "只有已办结的事项可以回头看", forbidden: "无权对该事项安排回头看", not_found: "未找到该事项" },
  },
  submatters: {
    decompose: "分解事项", title: "分解事项 {code}", intro: "每行一项子事项：标题、牵头单位、办结时限（留空按规则计算）。子事项的类别与来源沿用本事项。",
    rowTitle: "子事项 {n} 标题", due: "办结时限", addRow: "再加一项", remove: "删除第 {n} 行", registered: "已立项",
    submit: "立项子事项", made: "已立项 {n} 项子事项", rowFailed: "第 {n} 项未能立项：",
    count: "子事项 {n} 项，已办结 {closed} 项", progress: "子事项办结进度", ownLight: "本事项灯色", rolledUp: "汇总灯色",
    none: "暂无子事项",
  },
};
