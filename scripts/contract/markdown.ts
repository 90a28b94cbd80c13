/**
 * Markdown pieces for the generated parts of docs/: regions between markers, tables,
 * and field tables rendered from JSON Schema (what zod's toJSONSchema gives).
 * Invariant: output is deterministic (same catalogue → same bytes), so a test can
 * compare it with the committed file.
 */
type Schema = Record<string, any>;

export const begin = (name: string) => `<!-- generated:${name} begin: edit the source and run \`npm run docs:generate\` -->`;
export const end = (name: string) => `<!-- generated:${name} end -->`;

/** `doc` with the region `name` replaced by `content`; throws when the markers are missing. */
export function replaceRegion(doc: string, name: string, content: string): string {
  const i = doc.indexOf(begin(name));
  const j = doc.indexOf(end(name));
  if (i < 0 || j < i) throw new Error(`the generated region "${name}" is missing (add ${begin(name)} … ${end(name)})`);
  return `${doc.slice(0, i + begin(name).length)}\n\n${content.trim()}\n\n${doc.slice(j)}`;
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n+/g, " ");

export function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)].join("\n");
}

export const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, "")
    .replace(/ /g, "-");

const refName = (s: Schema) => (typeof s.$ref === "string" ? s.$ref.split("/").pop()! : null);
const nonNull = (s: Schema) => (Array.isArray(s.anyOf) ? s.anyOf.filter((x: Schema) => x.type !== "null") : null);
const nullable = (s: Schema) => Array.isArray(s.anyOf) && s.anyOf.some((x: Schema) => x.type === "null");
// (A nullable primitive comes as `type: ["string", "null"]`, handled in typeOf.)
const isInlineObject = (s: Schema) => s.type === "object" && s.properties && !refName(s);

/** A schema's description; a reference takes its target's (from `defs`). */
export function describeOf(s: Schema, defs: Record<string, Schema> = {}): string {
  if (s.description) return s.description;
  const ref = refName(s);
  if (ref) return defs[ref]?.description ?? "";
  const inner = nonNull(s);
  return inner?.length === 1 ? describeOf(inner[0], defs) : "";
}

/** A short type: `string`, `integer or null`, `array of Token`, `one of "a", "b"`. */
export function typeOf(s: Schema, link: (name: string) => string): string {
  const ref = refName(s);
  if (ref) return link(ref);
  const inner = nonNull(s);
  if (inner) return `${inner.map((x: Schema) => typeOf(x, link)).join(" or ")}${nullable(s) ? " or null" : ""}`;
  if (Array.isArray(s.type)) return s.type.filter((x: string) => x !== "null").join(" or ") + (s.type.includes("null") ? " or null" : "");
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return `one of ${s.enum.map((v: unknown) => `\`${JSON.stringify(v)}\``).join(", ")}`;
  if (s.type === "array") return `array of ${s.items ? typeOf(s.items, link) : "anything"}`;
  if (s.type === "object" && !s.properties && s.additionalProperties) return `map of string → ${typeOf(s.additionalProperties, link)}`;
  if (s.type === "object") return "object";
  return s.type ?? "any";
}

/** One row per field; inline objects (and arrays of them) add rows for their fields, dotted. */
export function fieldRows(s: Schema, link: (name: string) => string, defs: Record<string, Schema> = {}, prefix = ""): string[][] {
  const rows: string[][] = [];
  const required = new Set<string>(s.required ?? []);
  for (const [name, prop] of Object.entries<Schema>(s.properties ?? {})) {
    const path = `${prefix}${name}`;
    const optional = required.has(name) ? "" : " (optional)";
    rows.push([`\`${path}\``, typeOf(prop, link) + optional, describeOf(prop, defs)]);
    const inner = nonNull(prop)?.length === 1 ? nonNull(prop)![0] : prop;
    if (isInlineObject(inner)) rows.push(...fieldRows(inner, link, defs, `${path}.`));
    if (inner.type === "array" && inner.items && isInlineObject(inner.items)) rows.push(...fieldRows(inner.items, link, defs, `${path}[].`));
  }
  return rows;
}
