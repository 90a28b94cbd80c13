/**
 * Subscription filters over the event catalogue (core/events.ts).
 * Invariants: a subscription filter entry is `*`, a catalogued event type (emitted or
 * reserved), or `<category>.*` for a category of the catalogue (`token.*`, `manifest.label.*`) (typos are refused when
 * subscribing); matching itself needs no catalogue entry, so `*` also receives event
 * types added later.
 */
import { z } from "zod";
import { EVENT_CATALOG, EVENT_TYPES } from "./events";

let listing: { type: string; description: string; status: "emitted" | "reserved"; data_schema: unknown }[] | undefined;

/** Every event type with its description, whether the registry sends it yet, and the JSON Schema of its `data`. */
export function webhookEventTypes() {
  return (listing ??= EVENT_TYPES.map((type) => {
    const spec = EVENT_CATALOG[type];
    return { type, description: spec.description, status: spec.status, data_schema: z.toJSONSchema(spec.data, { target: "draft-2020-12" }) };
  }));
}

/** `artifact`, `manifest`, `manifest.label`, …: every dotted prefix of a catalogued type. */
const categories = new Set(EVENT_TYPES.flatMap((t) => t.split(".").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("."))));

export function isValidEventFilter(entry: string): boolean {
  if (entry === "*" || entry in EVENT_CATALOG) return true;
  return entry.endsWith(".*") && categories.has(entry.slice(0, -2));
}

export function eventMatches(filters: readonly string[], type: string): boolean {
  return filters.some((f) => f === "*" || f === type || (f.endsWith(".*") && type.startsWith(f.slice(0, -1))));
}
