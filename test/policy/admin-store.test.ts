/**
 * The instance-admin policy store (services/policy/admin-store.ts) as each kind of admin
 * policy shows it on the wire: licence, quarantine and sigstore policies answer a missing
 * id, a taken name (or scope), a page, and every create/update/delete with the same
 * codes, messages, audit rows (fields in their order) and `policy.changed` data they
 * answered before the store was shared.
 */
import { describe, expect, it } from "vitest";
import { ADMIN, audit, captureEvents, expectError, jsonOf, req, unique } from "../helpers";
import { publicKey } from "../support/sigstore";
import { repoOf, type Where } from "./publish";

interface Kind {
  kind: string;
  path: string;
  code: string;
  label: string;
  resource: string;
  create: (w: Where, name: string) => Promise<Record<string, unknown>>;
  patch: Record<string, unknown>;
  /** The audit row's `after` fields, in order. */
  auditKeys: string[];
  /** The `policy.changed` data of a change to `p`. */
  event: (change: string, p: any) => Record<string, unknown>;
  /** How a second policy with the same name (or scope) is refused. */
  taken: { status: number; code: string; message: (name: string) => string };
}

const row = ["id", "name", "description", "project_id", "repo_id", "formats"];
const KINDS: Kind[] = [
  {
    kind: "licence",
    path: "/api/admin/license-policies",
    code: "LicensePolicy",
    label: "licence policy",
    resource: "license_policy",
    create: async (w, name) => ({ name, repo_id: w.repo.id, deny: ["GPL-*"], action: "warn" }),
    patch: { action: "block" },
    auditKeys: [...row, "allow", "deny", "action", "unknown_action", "enabled", "created_at", "updated_at"],
    event: (change, p) => ({ policy_type: "license", change, policy: expect.objectContaining({ id: p.id, name: p.name, project_id: p.project_id }), reevaluated: 0 }),
    taken: { status: 409, code: "ConflictLicensePolicyNameInUse", message: (name) => `a licence policy named '${name}' exists` },
  },
  {
    kind: "sigstore",
    path: "/api/admin/sigstore/policies",
    code: "SigstorePolicy",
    label: "sigstore policy",
    resource: "sigstore_policy",
    create: async (w, name) => ({ name, mode: "audit", repo_id: w.repo.id, keys: [{ name: "ci", pem: await publicKey("ci") }], rekor: "optional" }),
    patch: { mode: "enforce" },
    auditKeys: ["id", "name", "mode", "project_id", "repo_id", "formats", "names", "keys", "identities", "rekor", "trusted_root_sha256", "min_signatures", "predicate_types", "enabled"],
    event: (change, p) => ({ policy_type: "sigstore", change, policy_id: p.id, name: p.name, mode: p.mode }),
    taken: { status: 409, code: "ConflictSigstorePolicyNameInUse", message: (name) => `a sigstore policy named '${name}' exists` },
  },
  {
    kind: "quarantine",
    path: "/api/admin/quarantine/policies",
    code: "QuarantinePolicy",
    label: "quarantine policy",
    resource: "quarantine_policy",
    create: async (w) => ({ project_id: w.project.id, repo_id: w.repo.id, cooldown_hours: 24 }),
    patch: { require_approval: true },
    auditKeys: ["id", "project_id", "repo_id", "scope_key", "cooldown_hours", "require_approval", "created_at", "updated_at"],
    event: (change, p) => ({ policy_type: "quarantine", change, policy: { id: p.id, project_id: p.project_id, repo_id: p.repo_id, cooldown_hours: p.cooldown_hours, require_approval: p.require_approval, created_at: expect.any(Number), updated_at: expect.any(Number) } }),
    taken: { status: 400, code: "InvalidQuarantinePolicy", message: () => "the repository has a quarantine policy already: change that one" },
  },
];

const call = (path: string, method = "GET", json?: unknown) => req(path, { method, token: ADMIN, ...(json ? { json } : {}) });
const changedEvents = (events: ReturnType<typeof captureEvents>) => events.events().filter((e) => e.type === "policy.changed");

describe.each(KINDS)("$kind policies through the admin policy store", (k) => {
  it("create, update and delete: one audit row each (fields in order) and policy.changed with the policy's project", async () => {
    const w = await repoOf("npm");
    const events = captureEvents();
    const p = await jsonOf(await call(k.path, "POST", await k.create(w, unique("p"))), 201);
    expect(p.project_id).toBe(w.project.id);
    const changed = await jsonOf(await call(`${k.path}/${p.id}`, "PATCH", k.patch), 200);
    expect((await call(`${k.path}/${p.id}`, "DELETE")).status).toBe(204);

    const rows = await audit({ resource_id: p.id });
    expect(rows.map((r) => [r.action, r.resource_type, r.project_id])).toEqual(["create", "update", "delete"].map((verb) => [`${k.resource}.${verb}`, k.resource, w.project.id]));
    const [created, updated, deleted] = rows;
    expect([created.before, deleted.after]).toEqual([null, null]);
    for (const shown of [created.after, updated.before, updated.after, deleted.before]) expect(Object.keys(shown)).toEqual(k.auditKeys);
    expect(updated.before.id).toBe(p.id);

    const sent = changedEvents(events);
    expect(sent.map((e) => e.project_id)).toEqual([w.project.id, w.project.id, w.project.id]);
    expect(sent.map((e) => e.data)).toEqual([k.event("created", p), k.event("updated", changed), k.event("deleted", changed)]);
    expect(sent.map((e) => Object.keys(e.data))).toEqual(sent.map((e) => Object.keys(k.event(e.data.change, p))));
  });

  it("answers an unknown id with 404 and refuses a taken name (or scope) without writing or sending anything", async () => {
    const missing = await expectError(await call(`${k.path}/nope-${unique("x")}`), 404, `NotFound${k.code}`);
    expect(missing.message).toMatch(new RegExp(`^${k.label} nope-\\S+ not found$`));
    await expectError(await call(`${k.path}/nope`, "PATCH", k.patch), 404, `NotFound${k.code}`);
    await expectError(await call(`${k.path}/nope`, "DELETE"), 404, `NotFound${k.code}`);

    const w = await repoOf("npm");
    const name = unique("p");
    const first = await jsonOf(await call(k.path, "POST", await k.create(w, name)), 201);
    const events = captureEvents();
    const taken = await expectError(await call(k.path, "POST", await k.create(w, name)), k.taken.status, k.taken.code);
    expect(taken.message).toBe(k.taken.message(name));
    if (k.kind !== "quarantine") {
      // Renaming onto a taken name is the same conflict, and leaves the policy as it was.
      const other = await jsonOf(await call(k.path, "POST", await k.create(await repoOf("npm"), unique("p"))), 201);
      const renamed = await expectError(await call(`${k.path}/${other.id}`, "PATCH", { name }), 409, k.taken.code);
      expect(renamed.message).toBe(k.taken.message(name));
      expect((await jsonOf(await call(`${k.path}/${other.id}`), 200)).name).toBe(other.name);
    }
    expect(changedEvents(events).filter((e) => e.data.change !== "created")).toEqual([]);
    expect((await audit({ resource_id: first.id })).map((r) => r.action)).toEqual([`${k.resource}.create`]);
  });

  it("pages the list with limit and cursor, oldest first, as one unpaged list", async () => {
    const w = await repoOf("npm");
    await jsonOf(await call(k.path, "POST", await k.create(w, unique("p"))), 201);
    if (k.kind !== "quarantine") await jsonOf(await call(k.path, "POST", await k.create(w, unique("p"))), 201);
    const all = (await jsonOf(await call(`${k.path}?limit=500`), 200)).items.map((p: any) => p.id);
    expect(all.length).toBeGreaterThanOrEqual(1);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await jsonOf(await call(`${k.path}?limit=1${cursor ? `&cursor=${cursor}` : ""}`), 200);
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((p: any) => p.id));
      cursor = page.next_cursor;
    } while (cursor && seen.length <= all.length);
    expect(seen).toEqual(all);
    await expectError(await call(`${k.path}?cursor=garbage`), 400, "InvalidCursor");
  });
});
