import { createI18n } from "vue-i18n";
import en from "./en";
import zhCN from "./zh-CN";

const LANG_KEY = "ducha.lang";
export type Lang = "zh-CN" | "en";

export const i18n = createI18n({
  legacy: false,
  locale: (localStorage.getItem(LANG_KEY) as Lang | null) ?? "zh-CN",
  fallbackLocale: "zh-CN",
  messages: { "zh-CN": zhCN, en },
});

// The page's language is the catalogue's from the start (screen readers and the browser read it),
// not index.html's default when the user chose English earlier.
document.documentElement.lang = i18n.global.locale.value;

export function setLang(lang: Lang): void {
  i18n.global.locale.value = lang;
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang;
}
