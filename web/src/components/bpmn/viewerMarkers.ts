// What the process view marks on a diagram: marker classes (viewer.css colours them) and the
// element ids of each, from an instance's detail (GET /process-instances/{id}).

export const MARKERS = {
  completed: "bpmn-completed",
  active: "bpmn-active",
  timer: "bpmn-timer",
  failed: "bpmn-failed",
  added: "bpmn-added",
  removed: "bpmn-removed",
} as const;

/** Marker class → element ids. */
export type Markers = Record<string, string[]>;

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
