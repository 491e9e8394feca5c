// What the process view marks on a diagram: marker classes (viewer.css colours them) and the
// element ids of each, from an instance's detail (GET /process-instances/{id}).

export const MARKERS = {
  completed: "bpmn-completed",
  active: "bpmn-active",
  timer: "bpmn-timer",
  failed: "bpmn-failed",
  added: "bpmn-added",
  removed: "bpmn-removed",
  picked: "bpmn-picked",
} as const;

/** Marker class → element ids. */
export type Markers = Record<string, string[]>;

/** An element of an imported diagram (bpmn-js type: "bpmn:UserTask"). */
export interface DiagramElement {
  id: string;
  name: string;
  type: string;
}

/** A short text on an element; `clickable` makes it a button (the viewer emits "overlay-click"). */
export interface Overlay {
  element: string;
  text: string;
  className?: string;
  title?: string;
  clickable?: boolean;
  position?: { top?: number; bottom?: number; left?: number; right?: number };
}

const NOT_STARTABLE = ["bpmn:StartEvent", "bpmn:BoundaryEvent", "bpmn:SequenceFlow", "bpmn:Process"];

/** The elements a modification may start at: activities, gateways, intermediate and end events. */
export function startable(elements: DiagramElement[]): DiagramElement[] {
  return elements.filter(
    (e) => /(Task|Event|Gateway|SubProcess|CallActivity|Transaction)$/.test(e.type) && !NOT_STARTABLE.includes(e.type),
  );
}

export interface InstanceState {
  completed_element_ids: string[];
  ready_tasks: { element_id: string }[];
  waiting_timers: { element_id: string; status?: string }[];
  incidents: { element_id: string | null; resolved_at: string | null }[];
}

/** One class per element, the most pressing first: failed, active, waiting timer, completed. */
export function instanceMarkers(state: InstanceState): Markers {
  const seen = new Set<string>();
  const take = (ids: (string | null)[]): string[] => {
    const out: string[] = [];
    for (const id of ids) {
      if (id && !seen.has(id)) {
        seen.add(id);
        out.push(id);
      }
    }
    return out;
  };
  const failed = take(state.incidents.filter((i) => !i.resolved_at).map((i) => i.element_id));
  const active = take(state.ready_tasks.map((t) => t.element_id));
  const timer = take(state.waiting_timers.map((j) => j.element_id));
  const completed = take(state.completed_element_ids);
  return {
    [MARKERS.failed]: failed,
    [MARKERS.active]: active,
    [MARKERS.timer]: timer,
    [MARKERS.completed]: completed,
  };
}
