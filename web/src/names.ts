// One language at a time (一种语言): a name the service gives per language, in the console's.
import { i18n } from "./i18n";

type Names = Record<string, string> | null | undefined;

/** The name in the console's language; `fallback` when the service gave none. */
export function localName(names: Names, fallback: string): string {
  const lang = i18n.global.locale.value as string;
  return (names && (names[lang] || names["zh-CN"])) || fallback;
}

/** A process definition's name in the console's language. */
export function processName(d: { display_names?: Names; name?: string | null; key: string }): string {
  return localName(d.display_names, d.name ?? d.key);
}

/** A task's name in the console's language (its element's, from the service's `names`). */
export function taskName(task: { names?: Names; name?: string | null; element_id: string }): string {
  return localName(task.names, task.name ?? task.element_id);
}

/** A text the service has in Chinese only (a BPMN element's documentation): shown in zh-CN, left
 * out in another language rather than mixed into it. */
export function chineseOnly(text: string | null | undefined): string | null {
  return (i18n.global.locale.value as string) === "zh-CN" && text ? text : null;
}
