/** The generated tables of docs/configuration.md, from src/config.ts. */
import { QUEUES, SETTINGS, type Setting } from "../../src/config";
import { replaceRegion, table } from "./markdown";

export function renderSettings(): string {
  return table(
    ["name", "kind", "what it does"],
    Object.entries(SETTINGS).map(([name, s]: [string, Setting]) => [`\`${name}\``, s.kind, s.description]),
  );
}

export function renderQueues(): string {
  return table(
    ["queue", "producer binding", "dead-letter queue"],
    Object.values(QUEUES).map((q) => [`\`${q.name}\``, q.binding ? `\`${q.binding}\`` : "—", q.deadLetter ? `\`${q.deadLetter}\`` : "—"]),
  );
}

export const configurationDoc = (current: string) => replaceRegion(replaceRegion(current, "settings", renderSettings()), "queues", renderQueues());
