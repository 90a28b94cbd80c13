#!/usr/bin/env node
// Generates a TypeScript client from the served OpenAPI document, as the reference's
// `openapi-generator … -g typescript-fetch` example does, and checks it: one named
// function per operationId (not path-derived names), and a program using it
// type-checks. openapi-generator itself is a Java jar fetched from Maven Central (not
// reachable here); @hey-api/openapi-ts runs from npm alone and names SDK functions by
// operationId the same way.
//
//   node scripts/check-client.mjs      (npm run check:client)
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const work = join(root, ".openapi");
const bin = (name) => join(root, "node_modules/.bin", name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });

run(process.execPath, [join(root, "scripts/contract.mjs"), "openapi"]);
const doc = JSON.parse(readFileSync(join(work, "openapi.json"), "utf8"));
rmSync(join(work, "client"), { recursive: true, force: true });
run(bin("openapi-ts"), ["-i", join(work, "openapi.json"), "-o", join(work, "client")]);

const sdk = readFileSync(join(work, "client/sdk.gen.ts"), "utf8");
const exported = new Set([...sdk.matchAll(/^export const ([A-Za-z0-9_]+) =/gm)].map((m) => m[1]));
const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
const missing = ids.filter((id) => !id || !exported.has(id));
if (missing.length) {
  console.error(`generated client lacks methods for: ${missing.join(", ")}`);
  process.exit(1);
}

// A program a user would write against the generated client must type-check.
writeFileSync(
  join(work, "usage.ts"),
  `import { createClient, createConfig } from "./client/client";
import { createProject, createRepo, listProjects, getRepoClientSetup, listRepoPackageVersions } from "./client";
const client = createClient(createConfig({ baseUrl: "http://127.0.0.1:8787", auth: () => "orbsa_token" }));
export async function demo(): Promise<string | undefined> {
  const page = await listProjects({ client, query: { limit: 10 } });
  const project = await createProject({ client, body: { slug: "demo", name: "Demo" } });
  const repo = await createRepo({ client, body: { project_id: project.data!.id, slug: "files", format: "generic", visibility: "private" } });
  await listRepoPackageVersions({ client, path: { id: repo.data!.id, name: "@acme/widgets" } });
  const setup = await getRepoClientSetup({ client, path: { id: repo.data!.id } });
  return page.data?.items[0]?.slug ?? setup.data?.registry_url;
}
`,
);
run(bin("tsc"), ["--noEmit", "--strict", "--skipLibCheck", "--target", "ES2022", "--module", "ES2022", "--moduleResolution", "Bundler", "--lib", "ES2022,DOM,DOM.Iterable", join(work, "usage.ts")]);
console.log(`generated client (@hey-api/openapi-ts): ${ids.length} named methods, e.g. ${ids.slice(4, 8).join(", ")}; a program using it type-checks`);
