// Look-backs (回头看) and sub-matters (分解 / 子事项), merged into en.ts.
export default {
  lookback: {
    menu: "Look-backs", title: "Look-backs", forMatter: "Schedule a look-back",
    intro: "A look-back re-checks a closed matter: by the check deadline the office verifies it was implemented; if not, the matter reopens and its lead unit rectifies by the rectification deadline.",
    schedule: "Schedule a look-back", matter: "Matter", pickMatter: "Type a number or title, pick a closed matter",
    checkDays: "Check within (days from today)", rectifyDays: "Rectify within (days after the check)", submit: "Schedule",
    hint: "Both are calendar days; only a closed matter can be looked back at.",
    scheduled: "Look-back scheduled", none: "No look-backs", leadUnit: "Lead unit", scheduledAt: "Scheduled",
    checkDue: "Check by", rectifyDue: "Rectify by", by: "Scheduled by",
    errors: { matter_not_closed: "Only a closed matter can be looked back at", forbidden: "You may not schedule a look-back for this matter", not_found: "Matter not found" },
  },
  submatters: {
    decompose: "Decompose", title: "Decompose {code}", intro: "One row per sub-matter: title, lead unit, deadline (empty: by the rules). Sub-matters keep this matter's category and source.",
    rowTitle: "Sub-matter {n} title", due: "Deadline", addRow: "Add a row", remove: "Remove row {n}", registered: "Registered",
    submit: "Register sub-matters", made: "{n} sub-matter(s) registered", rowFailed: "Sub-matter {n} was not registered: ",
    count: "{n} sub-matter(s), {closed} closed", progress: "Sub-matters closed", ownLight: "Own light", rolledUp: "Rolled-up light",
    none: "No sub-matters",
  },
};
