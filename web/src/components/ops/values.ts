// Values as an operator types and reads them: JSON when it parses, else text.

/** A typed field's value: JSON when it parses (2, true, "2", [1], {"a": 1}), else the text itself. */
export function typedValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** A value as a field shows it: text as it is, anything else as JSON. */
export function fieldText(value: unknown, indent = 0): string {
  return typeof value === "string" ? value : JSON.stringify(value, null, indent);
}

/** A short form for a summary line ("count: 0 → 2"). */
export function brief(value: unknown, max = 60): string {
  const text = value === undefined ? "—" : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
