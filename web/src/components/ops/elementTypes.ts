// The engine's element types (its class names, as history and the APIs give them) and incident
// kinds in words.
import { i18n } from "../../i18n";

/** "人工任务" for "UserTask"; the type itself when it has no words. */
export function elementType(type: string | null | undefined): string {
  if (!type) return "";
  const key = `repair.types.${type}`;
  return i18n.global.te(key) ? i18n.global.t(key) : type;
}

/** "流程执行出错" for "process_error"; the kind itself when it has no words. */
export function incidentKind(kind: string): string {
  const key = `repair.kinds.${kind}`;
  return i18n.global.te(key) ? i18n.global.t(key) : kind;
}
