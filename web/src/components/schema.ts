// The subset of JSON Schema that processes/forms/*.json use, for rendering a task's form.
// Validation stays on the server: its 422 errors are shown at the fields they name.

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
}

export type Kind =
  | "enum"
  | "date"
  | "text"
  | "textarea"
  | "number"
  | "integer"
  | "boolean"
  | "strings"
  | "rows"
  | "object";

export function typeOf(schema: JsonSchema): string {
  const t = schema.type;
  if (Array.isArray(t)) return t.find((x) => x !== "null") ?? "string";
  return t ?? (schema.enum ? "string" : "object");
}

/** Which widget a property gets. */
export function kindOf(schema: JsonSchema): Kind {
  const type = typeOf(schema);
  if (schema.enum) return "enum";
  if (type === "boolean") return "boolean";
  if (type === "integer") return "integer";
  if (type === "number") return "number";
  if (type === "array") return typeOf(schema.items ?? {}) === "object" ? "rows" : "strings";
  if (type === "object") return "object";
  if (schema.format === "date") return "date";
  return (schema.maxLength ?? 0) > 300 ? "textarea" : "text";
}

/** An empty value of a property: undefined leaves it out of the submitted data. */
export function emptyOf(schema: JsonSchema): unknown {
  const kind = kindOf(schema);
  if (kind === "rows" || kind === "strings") return [];
  if (kind === "object") return {};
  return undefined;
}

/** A new row of an array of objects. */
export function newRow(schema: JsonSchema): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(schema.properties ?? {})) row[key] = emptyOf(prop);
  return row;
}

/**
 * The form's starting data: values the task's input already has for the form's fields (the plan's
 * title and content, the units), except choices (enums), which the user must make each time.
 */
export function initialData(
  schema: JsonSchema,
  input: Record<string, unknown>,
): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    const known = input[key];
    const usable = known !== undefined && known !== null && !prop.enum;
    data[key] = usable ? JSON.parse(JSON.stringify(known)) : emptyOf(prop); // not structuredClone: input may be a reactive proxy
  }
  return data;
}

/** Drop what the user left empty, so `required` and the server's rules decide. */
export function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(compact);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || v === null || v === "") continue;
      out[k] = compact(v);
    }
    return out;
  }
  return value;
}

/** A field that holds a unit code gets a unit picker. */
export function isUnitField(name: string): boolean {
  return name === "unit" || name === "unit_code" || name.endsWith("_unit");
}
