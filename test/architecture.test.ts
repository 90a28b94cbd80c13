/// <reference types="vite/client" />
/**
 * The layering of docs/architecture.md, checked against the code's own imports, so a
 * change that crosses a layer the wrong way fails here rather than in review.
 */
import { describe, expect, it } from "vitest";

const sources = import.meta.glob("../src/**/*.ts", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

/** The folder (layer) a source file belongs to: `core`, `db`, `services/oci`, `app`, … */
function layerOf(path: string): string {
  const parts = path.replace(/^\.\.\/src\//, "").split("/");
  if (parts.length === 1) return parts[0]!.replace(/\.ts$/, "");
  if (parts[0] === "services" && parts.length > 2) return `services/${parts[1]}`;
  return parts[0]!;
}

function resolve(from: string, spec: string): string {
  const out = from.split("/").slice(0, -1);
  for (const part of spec.split("/")) {
    if (part === "..") out.pop();
    else if (part !== ".") out.push(part);
  }
  return out.join("/");
}

interface Edge {
  file: string;
  target: string;
  spec: string;
}

const edges: Edge[] = Object.entries(sources).flatMap(([file, text]) =>
  [...text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => ({ file, spec: m[1]!, target: m[1]!.startsWith(".") ? resolve(file, m[1]!) : m[1]! })),
);
const local = edges.filter((e) => e.spec.startsWith("."));

/** What each layer may import (besides itself). Anything else is a violation. */
const ALLOWED: Record<string, string[]> = {
  core: [],
  db: ["core"],
  storage: ["core"],
  outbound: ["core"],
  version: [],
  env: ["objects"],
  config: ["core", "env"],
  auth: ["core", "db", "outbound", "config", "env"],
  objects: ["core", "db", "storage", "env"],
  services: ["core", "db", "storage", "outbound", "auth", "objects", "env", "config", "version"],
  // Domains: each lists the domains it builds on (never the other way round).
  "services/events": ["core", "db", "outbound", "auth", "env", "config", "version", "services"],
  "services/projects": ["core", "db", "auth", "config", "services", "services/events"],
  "services/identity": ["core", "db", "auth", "env", "config", "services", "services/events", "services/projects"],
  "services/policy": ["core", "db", "auth", "services", "services/events", "services/projects"],
  "services/search": ["core", "db", "services", "services/projects"],
  "services/artifacts": ["core", "db", "storage", "objects", "config", "services", "services/events", "services/projects", "services/policy"],
  "services/web": ["core", "db", "auth", "env", "config", "services", "services/events"],
  "services/trust": ["core", "db", "storage", "config", "env", "auth", "services", "services/events", "services/projects", "services/artifacts", "services/oci", "services/policy"],
  "services/oci": ["core", "db", "storage", "objects", "auth", "services", "services/artifacts", "services/events", "services/projects", "services/policy"],
  // The internal API's reads for scanners: resolves artifacts as trust does, reads what artifacts and oci store.
  "services/scanner": ["core", "db", "services", "services/artifacts", "services/oci", "services/trust"],
  "services/proxy": ["core", "db", "outbound", "objects", "auth", "config", "env", "services", "services/artifacts", "services/events", "services/projects", "services/oci"],
  http: ["core", "auth", "env", "config", "services", "services/artifacts", "services/projects", "db/client"],
  formats: ["core", "auth", "http", "services", "services/artifacts", "services/projects", "services/oci", "services/events", "services/trust", "services/policy", "services/lifecycle", "services/proxy"],
  api: ["core", "http", "formats", "version", "config", "services", "services/artifacts", "services/projects", "services/identity", "services/events", "services/oci", "services/web", "services/policy", "services/search", "services/lifecycle", "services/trust", "services/proxy", "services/scanner"],
  ui: ["core", "http", "api", "formats", "version", "services", "services/web", "services/policy"],
  queues: ["env", "config", "services", "services/events", "services/artifacts", "db/client", "services/lifecycle", "services/proxy"],
  // Retention, trash, legal holds, GC: deletes what artifacts and oci store, through their own functions.
  "services/lifecycle": ["core", "db", "storage", "auth", "env", "config", "services", "services/artifacts", "services/oci", "services/projects", "services/events"],
  app: ["core", "http", "api", "formats", "ui"],
  index: ["app", "env", "config", "queues", "objects", "services", "services/artifacts", "services/policy", "services/proxy", "db/client"],
};

function allowed(from: string, target: string): boolean {
  const to = layerOf(target);
  if (to === from) return true;
  const rules = ALLOWED[from];
  if (!rules) return false;
  return rules.some((r) => r === to || target.replace(/^\.\.\/src\//, "") === r || target.replace(/^\.\.\/src\//, "").startsWith(`${r}/`) && r.includes("/"));
}

describe("architecture", () => {
  it("reads the whole source tree", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(150);
    expect(local.length).toBeGreaterThan(500);
  });

  it("knows every layer the code has", () => {
    const layers = new Set(Object.keys(sources).map(layerOf));
    expect([...layers].filter((l) => !(l in ALLOWED) && l !== "types.d")).toEqual([]);
  });

  it("imports only downward, as docs/architecture.md draws it", () => {
    const wrong = local.filter((e) => !allowed(layerOf(e.file), e.target)).map((e) => `${e.file} → ${e.spec}`);
    expect(wrong).toEqual([]);
  });

  it("keeps routes (api/, formats/) away from SQL and R2, types included", () => {
    const wrong = local.filter((e) => /^\.\.\/src\/(api|formats)\//.test(e.file) && /^\.\.\/src\/(db|storage)(\/|$)/.test(e.target));
    expect(wrong.map((e) => `${e.file} → ${e.spec}`)).toEqual([]);
  });

  it("keeps core/ pure: no Hono, no bindings, no Workers runtime modules", () => {
    const wrong = edges.filter((e) => layerOf(e.file) === "core" && !e.spec.startsWith(".") && /^(hono|@hono|cloudflare:|drizzle-orm)/.test(e.spec));
    expect(wrong.map((e) => `${e.file} → ${e.spec}`)).toEqual([]);
  });

  it("has no single-format module outside its format's folder", () => {
    const formatWords = /\b(npm|pypi|maven|cargo|go-module|generic-files?)\b/;
    const names = Object.keys(sources).filter((f) => /^\.\.\/src\/(core|services)\//.test(f) && formatWords.test(f.split("/").pop()!));
    expect(names).toEqual([]);
  });
});
