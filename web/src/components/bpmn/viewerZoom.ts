// Where a diagram opens (issue 17 item 4): readable, on what matters. bpmn-js writes labels at
// 12 px; a zoom below READABLE_ZOOM makes them smaller than 11 px on screen. The whole diagram is
// shown (fit) only when it fits at a readable zoom; otherwise the view opens at 1:1 (or a little
// less, down to READABLE_ZOOM, to hold every focused element) centred on the focused elements —
// the active ones, waiting timers, failed elements — or on the start event when none.

export const LABEL_PX = 12;
export const READABLE_PX = 11;
export const READABLE_ZOOM = READABLE_PX / LABEL_PX;
const MARGIN = 60; // screen px kept around the focused elements

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The smallest box holding every box (null for none). */
export function union(boxes: Box[]): Box | null {
  if (!boxes.length) return null;
  const x = Math.min(...boxes.map((b) => b.x));
  const y = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  const bottom = Math.max(...boxes.map((b) => b.y + b.height));
  return { x, y, width: right - x, height: bottom - y };
}

/** The zoom at which `inner` (diagram units) fits `outer` (screen px), at most 1. */
export function fitZoom(inner: Box, outer: { width: number; height: number }): number {
  if (!inner.width || !inner.height) return 1;
  return Math.min(1, outer.width / inner.width, outer.height / inner.height);
}

/** The viewbox (diagram units) showing `focus` at a readable zoom, centred in `outer`. */
export function focusViewbox(focus: Box, outer: { width: number; height: number }): Box {
  const wanted = fitZoom(
    { ...focus, width: focus.width + (2 * MARGIN), height: focus.height + (2 * MARGIN) },
    outer,
  );
  const zoom = Math.max(READABLE_ZOOM, Math.min(1, wanted));
  const width = outer.width / zoom;
  const height = outer.height / zoom;
  const cx = focus.x + (focus.width / 2);
  const cy = focus.y + (focus.height / 2);
  return { x: cx - (width / 2), y: cy - (height / 2), width, height };
}
