// The extension API's shapes beyond what matters.ts lists (app/supervision/schemas.py:
// ExtensionOut, DeadlineOut).
import type { Deadline, Extension } from "../../matters";

export interface ExtensionRow extends Extension {
  deadline_id: string;
  progress: string;
  decided_by: string | null;
  decided_at: string | null;
}

export interface DeadlineRow extends Deadline {
  original_due: string | null;
}
