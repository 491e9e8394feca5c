// Suspension and the duration statistics (heatmap): merged into en.ts as `suspend`, `heat`.
export default {
  suspend: {
    suspend: "Suspend", activate: "Activate", suspended: "suspended",
    instanceSuspend: "Suspend the instance", instanceActivate: "Activate the instance",
    instanceSuspendSummary: "While suspended its tasks cannot be completed, its timers do not fire and workers do not fetch its external tasks.",
    instanceActivateSummary: "The instance goes on; timers that came due meanwhile fire.",
    instanceSuspended: "Instance suspended", instanceActivated: "Instance activated",
    versionSuspend: "Suspend the version", versionActivate: "Activate the version",
    versionSuspendHint: "A suspended version starts no new instance; running ones go on unless suspended with it.",
    versionActivateHint: "New instances of this version can start again.",
    includeRunning: "Suspend its running instances too (those your unit controls)", includeSuspended: "Activate its suspended instances too",
    versionSuspendSummary: "{key} version {v} is suspended.", versionActivateSummary: "{key} version {v} is activated.",
    withRunning: " Its running instances with it.", withSuspended: " Its suspended instances with it.",
    versionDone: "Done: {n} instances changed with it", inVersion: "the version's suspension", inTrailUnread: "written to the audit trail",
  },
  heat: {
    title: "Duration heatmap", mean: "mean", p50: "median", p95: "p95", max: "max", active: "Live",
    completed: "Completed", cancelled: "Cancelled", incidents: "Incidents", count: "Samples", none: "Nothing of this version has completed yet",
    stats: "Durations per element", tooltip: "{n} completed, median {p50}, p95 {p95}", openStats: "This version's durations per element",
    dh: "{d}d {h}h", hm: "{h}h {m}m", m: "{m} min", s: "{s} s",
  },
};
