// 无障碍 (issue 17, item 6) strings, merged into zh-CN.ts.
export default {
  a11y: {
    taskDrawer: "办理任务",
  },
};
