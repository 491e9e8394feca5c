// diagram-js-minimap ships no types: a diagram-js module (its default export) whose service,
// "minimap", opens and closes the overview (the viewer's toggle button calls it).
declare module "diagram-js-minimap" {
  const minimapModule: { __init__: string[]; minimap: [string, unknown] };
  export default minimapModule;
}
