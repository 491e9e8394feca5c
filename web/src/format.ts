// Dates as officials read them: China time, yyyy-mm-dd hh:mm.
const DATE_TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});

export function dateTime(value: string | null | undefined): string {
  if (!value) return "";
  return DATE_TIME.format(new Date(value)).replace(/\//g, "-");
}

export function date(value: string | null | undefined): string {
  if (!value) return "";
  return value.length <= 10 ? value : dateTime(value).slice(0, 10);
}
