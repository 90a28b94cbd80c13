/**
 * Generated repository indexes (services/artifacts/repo-indexes.ts) under races: two
 * builds from one revision store one index; a build from an older revision never
 * replaces a newer one; superseded indexes stay readable by hash, then expire; large
 * documents are split into parts and come back whole.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../src/db/client";
import { bumpRevision } from "../src/db/indexes";
import { clearAllCaches } from "../src/core/ttl-cache";
import { buildIndex, findKeptIndexFile, readIndexFile, RETAIN_MS, type IndexBuilder } from "../src/services/artifacts";
import type { Scope } from "../src/services/scope";
import { createProject, createRepo } from "./helpers";

const db = database(env.DB);
const scope = { env, db } as unknown as Scope;
const enc = new TextEncoder();

async function newRepo() {
  const project = await createProject();
  return (await createRepo(project.id, "deb")).id as string;
}

const doc = (path: string, text: string) => ({ path, bytes: enc.encode(text), contentType: "text/plain" });
const indexRows = async (repoId: string) => (await env.DB.prepare("select id, rev, superseded_at from repo_indexes where repo_id = ? order by rev").bind(repoId).all()).results;

/** A builder that records the revision it saw and waits for `gate` before answering. */
function gatedBuilder(label: string, gate: Promise<void>) {
  const seen: number[] = [];
  const build: IndexBuilder = async (input) => {
    seen.push(input.rev);
    await gate;
    return { documents: [doc("top", `${label} rev ${input.rev}`)] };
  };
  return { build, seen };
}

describe("repo indexes", () => {
  it("stores one index when two builds from the same revision race, and both answer with it", async () => {
    const repoId = await newRepo();
    await bumpRevision(db, repoId, Date.now()).run();
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const a = gatedBuilder("a", gate);
    const b = gatedBuilder("b", gate);
    const builds = Promise.all([buildIndex(scope, repoId, a.build), buildIndex(scope, repoId, b.build)]);
    while (a.seen.length === 0 || b.seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    open();
    const [ia, ib] = await builds;
    expect(ia.id).toBe(ib.id);
    expect(await indexRows(repoId)).toHaveLength(1);
    const top = await readIndexFile(scope, repoId, "top", async () => {
      throw new Error("must not rebuild: the stored index is current");
    });
    expect(new TextDecoder().decode(top!.bytes)).toMatch(/^(a|b) rev 1$/);
  });

  it("never replaces a newer index with a build from an older revision", async () => {
    const repoId = await newRepo();
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const slow = gatedBuilder("slow", gate);
    const stale = buildIndex(scope, repoId, slow.build);
    while (slow.seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    await bumpRevision(db, repoId, Date.now()).run();
    const fresh = await buildIndex(scope, repoId, async (input) => ({ documents: [doc("top", `fresh rev ${input.rev}`)] }));
    expect(fresh.rev).toBe(1);
    open();
    const adopted = await stale;
    expect(adopted.id).toBe(fresh.id);
    expect((await indexRows(repoId)).map((r) => r.rev)).toEqual([1]);
    const top = await readIndexFile(scope, repoId, "top", async () => ({ documents: [] }));
    expect(new TextDecoder().decode(top!.bytes)).toBe("fresh rev 1");
  });

  it("keeps superseded indexes readable by hash until they expire", async () => {
    const repoId = await newRepo();
    const build: IndexBuilder = async (input) => ({ documents: [doc("top", `rev ${input.rev}`), doc(`files/${input.rev}`, `content of ${input.rev}`)] });
    const first = await readIndexFile(scope, repoId, "top", build);
    await bumpRevision(db, repoId, Date.now()).run();
    const second = await readIndexFile(scope, repoId, "top", build);
    expect(new TextDecoder().decode(second!.bytes)).toBe("rev 1");
    const old = await findKeptIndexFile(scope, repoId, { sha256: first!.sha256 });
    expect(new TextDecoder().decode(old!.bytes)).toBe("rev 0");
    expect((await findKeptIndexFile(scope, repoId, { path: "files/0" }))!.path).toBe("files/0");
    // Once superseded for longer than RETAIN_MS, the next build drops it (and its parts).
    await env.DB.prepare("update repo_indexes set superseded_at = ? where repo_id = ? and rev = 0").bind(Date.now() - RETAIN_MS - 1, repoId).run();
    await bumpRevision(db, repoId, Date.now()).run();
    await readIndexFile(scope, repoId, "top", build);
    expect((await indexRows(repoId)).map((r) => r.rev)).toEqual([1, 2]);
    // The isolate keeps hash-named documents up to a minute: the update above moved the
    // expiry, not this isolate's clock, so let that minute pass.
    clearAllCaches();
    expect(await findKeptIndexFile(scope, repoId, { sha256: first!.sha256 })).toBeNull();
    const orphans = await env.DB.prepare("select count(*) as n from repo_index_parts where index_id not in (select id from repo_indexes)").first<{ n: number }>();
    expect(orphans!.n).toBe(0);
  });

  it("splits large documents into parts and serves them whole, and gunzipped ones from their source", async () => {
    const repoId = await newRepo();
    const big = new Uint8Array(1_300_000).map((_, i) => (i * 7919) % 251);
    const plain = enc.encode("plain text ".repeat(1000));
    const packed = new Uint8Array(await new Response(new Blob([plain]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
    const build: IndexBuilder = async () => ({
      documents: [{ path: "big", bytes: big, contentType: "application/octet-stream" }, { path: "x.gz", bytes: packed, contentType: "application/gzip" }],
      gunzipped: [{ path: "x", gunzipOf: "x.gz", bytes: plain, contentType: "text/plain" }],
    });
    const got = await readIndexFile(scope, repoId, "big", build);
    expect(got!.bytes).toEqual(big);
    const parts = await env.DB.prepare("select count(*) as n from repo_index_parts where path = 'big' and index_id in (select id from repo_indexes where repo_id = ?)").bind(repoId).first<{ n: number }>();
    expect(parts!.n).toBe(3);
    expect((await readIndexFile(scope, repoId, "x", build))!.bytes).toEqual(plain);
    expect(await readIndexFile(scope, repoId, "missing", build)).toBeNull();
  });
});
