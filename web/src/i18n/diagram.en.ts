// The BPMN viewer's toolbar (zoom, fit, 1:1, go to the active elements, minimap), merged into en.ts.
export default {
  diagram: {
    tools: "Diagram tools", zoomIn: "Zoom in", zoomOut: "Zoom out", fit: "Fit to view (whole diagram)",
    actualSize: "Actual size 1:1", focus: "Go to the active elements", minimap: "Show or hide the minimap",
  },
};
