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
