// The BPMN viewer's toolbar (zoom, fit, 1:1, go to the active elements, minimap), merged into zh-CN.ts.
export default {
  diagram: {
    tools: "流程图工具", zoomIn: "放大", zoomOut: "缩小", fit: "适应窗口（显示全图）", actualSize: "原始大小 1:1",
    focus: "定位到当前环节", minimap: "显示或隐藏缩略图",
  },
};
