/// <reference types="vite/client" />
/**
 * docs/storage-layout.md against the code: every D1 table of the drizzle schema (and no
 * table that is gone), every Durable Object class with its binding, SQL tables and
 * storage keys, every queue and producer binding of wrangler.toml, every R2 key prefix
 * storage/ builds and every per-isolate cache is named there. Adding one without
 * documenting it, or dropping one and leaving its row, fails here.
 */
import { describe, expect, it } from "vitest";
import { getTableName, is } from "drizzle-orm";
import { SQLiteTable } from "drizzle-orm/sqlite-core";
import * as schema from "../src/db/schema";
import doc from "../docs/storage-layout.md?raw";
import wranglerToml from "../wrangler.toml?raw";

const sources = Object.fromEntries(
  Object.entries(import.meta.glob("../src/**/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>).map(([path, text]) => [
    path.replace(/^\.\.\//, ""),
    text,
  ]),
);

/** The part of the page under a `## title` heading, up to the next `## `. */
function section(title: string): string {
  const start = doc.indexOf(`\n## ${title}\n`);
  expect(start, `docs/storage-layout.md has a "## ${title}" section`).toBeGreaterThan(-1);
  const end = doc.indexOf("\n## ", start + 1);
  return doc.slice(start, end === -1 ? undefined : end);
}

/** `[[kind]]` blocks of wrangler.toml as key → value maps (strings only, enough here). */
function tomlBlocks(kind: string): Record<string, string>[] {
  return wranglerToml
    .split(/^\[\[/m)
    .filter((block) => block.startsWith(`${kind}]]`))
    .map((block) => Object.fromEntries([...block.matchAll(/^(\w+)\s*=\s*"([^"]*)"/gm)].map((m) => [m[1]!, m[2]!])));
}

const named = (text: string, name: string) => text.includes(`\`${name}\``);

describe("docs/storage-layout.md", () => {
  it("names every D1 table of the drizzle schema, and only those", () => {
    const tables = Object.values(schema)
      .filter((t) => is(t, SQLiteTable))
      .map((t) => getTableName(t as SQLiteTable))
      .sort();
    expect(tables.length).toBeGreaterThan(10);
    const d1 = section("D1 tables");
    expect(tables.filter((t) => !named(d1, t))).toEqual([]);
    const documented = [...d1.matchAll(/^\| `([a-z_0-9]+)` \|/gm)].map((m) => m[1]!).sort();
    expect(documented).toEqual(tables);
  });

  it("names every Durable Object class, its binding, SQL tables and storage keys", () => {
    const objects = section("Durable Objects");
    const bindings = tomlBlocks("durable_objects.bindings");
    expect(bindings.length).toBeGreaterThan(0);
    for (const b of bindings) expect(objects, `${b.class_name} (${b.name})`).toContain(`### \`${b.class_name}\` (\`${b.name}\`)`);

    const objectSources = Object.entries(sources).filter(([path]) => path.startsWith("src/objects/"));
    const sqlTables = objectSources.flatMap(([, text]) => [...text.matchAll(/CREATE TABLE IF NOT EXISTS (\w+)/g)].map((m) => m[1]!));
    expect(sqlTables.length).toBeGreaterThan(0);
    expect(sqlTables.filter((t) => !named(objects, t))).toEqual([]);

    // The upload session's part and tail keys are spelled in its pure plan (core/upload-plan.ts).
    const keySources = [...objectSources, ...Object.entries(sources).filter(([path]) => path === "src/core/upload-plan.ts")];
    const keys = keySources.flatMap(([, text]) => [
      ...[...text.matchAll(/storage\.(?:get|put|delete)(?:<[^>]*>)?\("([\w:]+)"/g)].map((m) => `\`${m[1]!}\``),
      ...[...text.matchAll(/`(\w+):\$\{/g)].map((m) => `\`${m[1]!}:`),
      ...[...text.matchAll(/prefix: "(\w+:)"/g)].map((m) => `\`${m[1]!}`),
    ]);
    expect(keys).toContain("`meta`");
    expect(keys).toContain("`part:");
    expect(keys).toContain("`tail:");
    expect(keys.filter((k) => !objects.includes(k))).toEqual([]);
  });

  it("names every queue, dead-letter queue and producer binding of wrangler.toml", () => {
    const queues = section("Queues");
    const producers = tomlBlocks("queues.producers");
    const consumers = tomlBlocks("queues.consumers");
    const names = new Set([...producers.map((p) => p.queue!), ...consumers.map((c) => c.queue!), ...consumers.flatMap((c) => (c.dead_letter_queue ? [c.dead_letter_queue] : []))]);
    expect(names.size).toBeGreaterThan(0);
    expect([...names].filter((q) => !named(queues, q))).toEqual([]);
    expect(producers.map((p) => p.binding!).filter((b) => !named(queues, b))).toEqual([]);
  });

  it("names the R2 and D1 bindings and every R2 key prefix storage/ builds", () => {
    for (const b of tomlBlocks("r2_buckets")) expect(named(doc, b.binding!), b.binding).toBe(true);
    for (const b of tomlBlocks("d1_databases")) expect(named(doc, b.binding!), b.binding).toBe(true);
    const r2 = section("R2 keys");
    const storage = Object.entries(sources).filter(([path]) => path.startsWith("src/storage/"));
    const prefixes = storage.flatMap(([, text]) => [...text.matchAll(/[`"]([a-z][a-z0-9-]*\/)(?:\$\{|[a-z0-9-]*[`"])/g)].map((m) => m[1]!));
    expect(prefixes).toContain("blobs/");
    expect(prefixes.filter((p) => !r2.includes(`\`${p}`))).toEqual([]);
  });

  it("names every per-isolate cache", () => {
    const caches = section("Per-isolate caches");
    const declared = Object.entries(sources).flatMap(([path, text]) =>
      [...text.matchAll(/const (\w+) = new (?:TtlCache|JwksCache)\b/g)].map((m) => ({ path, name: m[1]! })),
    );
    expect(declared.length).toBeGreaterThan(4);
    expect(declared.filter((c) => !named(caches, c.name)).map((c) => `${c.path}: ${c.name}`)).toEqual([]);
  });
});
