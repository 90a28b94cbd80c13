/**
 * The generated parts of docs/webhook-events.md: the envelope table and the catalogue
 * (an index, one section per event type with its `data` fields and an example, and the
 * shared objects), all from src/core/events.ts.
 */
import { z } from "zod";
import { EVENT_CATALOG, EVENT_TYPES, Envelope, exampleEnvelope, type EventSpec } from "../../src/core/events";
import { anchor, describeOf, fieldRows, replaceRegion, table } from "./markdown";

type Schema = Record<string, any>;
const objectHeading = (name: string) => `\`${name}\` object`;
const link = (name: string) => `[${name}](#${anchor(objectHeading(name))})`;
const FIELD_HEAD = ["field", "type", "meaning"];

function dataSection(schema: Schema, defs: Record<string, Schema>): string {
  if (Array.isArray(schema.anyOf)) {
    const variants = schema.anyOf.map((v: Schema) => `**${describeOf(v)}**\n\n${table(FIELD_HEAD, fieldRows(v, link, defs))}`);
    return `\`data\` is one of:\n\n${variants.join("\n\n")}`;
  }
  return `\`data\`:\n\n${table(FIELD_HEAD, fieldRows(schema, link, defs))}`;
}

const RESERVED =
  "> **Reserved**: catalogued so subscriptions can name it, but not emitted yet: the feature that sends it is not built. Its payload may still change before it is.";

function eventSection(type: (typeof EVENT_TYPES)[number], schema: Schema, defs: Record<string, Schema>): string {
  const spec = EVENT_CATALOG[type] as EventSpec;
  const parts = [`### \`${type}\``, `${spec.description}.`];
  if (spec.notes) parts.push(spec.notes);
  if (spec.status === "reserved") parts.push(RESERVED);
  parts.push(dataSection(schema, defs), `\`\`\`json\n${JSON.stringify(exampleEnvelope(type), null, 2)}\n\`\`\``);
  return parts.join("\n\n");
}

export function renderEnvelope(): string {
  const schema = z.toJSONSchema(Envelope) as Schema;
  return table(["field", "meaning"], Object.entries<Schema>(schema.properties).map(([k, v]) => [`\`${k}\``, describeOf(v)]));
}

export function renderCatalog(): string {
  const defs: Record<string, Schema> = {};
  const schemas = EVENT_TYPES.map((type) => {
    const schema = z.toJSONSchema(EVENT_CATALOG[type].data, { target: "draft-2020-12" }) as Schema;
    Object.assign(defs, schema.$defs ?? {});
    return schema;
  });
  const index = table(
    ["type", "status", "sent when"],
    EVENT_TYPES.map((t) => [`[\`${t}\`](#${anchor(`\`${t}\``)})`, EVENT_CATALOG[t].status, EVENT_CATALOG[t].description]),
  );
  const sections = EVENT_TYPES.map((t, i) => eventSection(t, schemas[i]!, defs));
  const objects = Object.keys(defs)
    .sort()
    .map((name) => `### ${objectHeading(name)}\n\n${describeOf(defs[name]!)}.\n\n${table(FIELD_HEAD, fieldRows(defs[name]!, link, defs))}`);
  return [index, ...sections, "## Objects in payloads", "Times inside these objects are Unix milliseconds.", ...objects].join("\n\n");
}

export function webhookEventsDoc(current: string): string {
  return replaceRegion(replaceRegion(current, "event-envelope", renderEnvelope()), "event-catalog", renderCatalog());
}
