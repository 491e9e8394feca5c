// Dashboard strings, merged into en.ts.
export default {
  dashboard: {
    menu: "Dashboard", title: "Supervision dashboard", unit: "Unit (and below)", category: "Category",
    period: "Scoring period", start: "Start", end: "End", total: "Matters", open: "Open", closed: "Closed",
    overdue: "Overdue / red", byLight: "By light", byCategory: "By category", byUnit: "By lead unit",
    byMonth: "By month assigned", onTime: "On-time reports and closures per unit", overdueList: "Overdue matters",
    count: "Matters", overdueCount: "Overdue", closedCount: "Closed", reportOnTime: "Reports on time",
    closureRate: "Closed on time", png: "Save as PNG", overdueXlsx: "Overdue list (.xlsx)", ledgerXlsx: "Ledger (.xlsx)",
    noData: "No data", noScores: "No scores for this period", moreOverdue: "{n} in all, show every one",
    scoresHint: "From the breakdown of the performance scores", rank: "Rank", score: "Score",
  },
};
