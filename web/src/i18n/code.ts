import { i18n } from "./index";

/** A code the service answers with ("signed", "on_time"), in words; the code itself if unknown. */
export function code(value: string | null | undefined): string {
  if (!value) return "—";
  const key = `codes.${value}`;
  return i18n.global.te(key) ? i18n.global.t(key) : value;
}
