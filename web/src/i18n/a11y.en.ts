// Accessibility (issue 17, item 6) strings, merged into en.ts.
export default {
  a11y: {
    taskDrawer: "Work on the task",
  },
};
