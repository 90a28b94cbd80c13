/**
 * A retention plan: every candidate of a repo decided by the policies (core/retention
 * evaluate, then keepNeeded), with the bytes the deletions free after deduplication.
 * The dry-run and the real run both plan with this one function: from the same state
 * they produce the same list.
 *
 * Invariants:
 * - Bytes freed count a blob once, and only when nothing that stays uses it: not a kept
 *   artifact of the repo (for images, any manifest outside what the deletions take with
 *   them), not an earlier trash entry of the repo, not another repository's link. That
 *   is what purging the deletions' trash entries and collecting lets go of in R2.
 */
import type { Scope } from "../scope";
import type { RepoRow } from "../projects/repos";
import { candidatesOf, isImageRepo, type Planned } from "./candidates";
import { blobsOf, closureOf } from "./image-graph";
import { heldInRepo } from "../../db/trash";
import { blobSizes, linkedElsewhere } from "../../db/blobs";
import { evaluate, freedBytes, keepNeeded, type Decision, type RetentionPolicy } from "../../core/retention";

export interface PlanItem extends Planned {
  decision: Decision;
  /** Bytes its deletion frees once purged (0 for kept items). */
  freed: number;
}

export interface Plan {
  items: PlanItem[];
  deleted: PlanItem[];
  freedBytes: number;
}

export async function planRetention(scope: Scope, repo: RepoRow, policies: RetentionPolicy[], now: number): Promise<Plan> {
  const c = await candidatesOf(scope, repo, now);
  const decisions = new Map(keepNeeded(evaluate(policies, c.items.map((i) => i.candidate), now), c.neededBy).map((d) => [d.key, d]));
  const items = c.items.map((i) => ({ ...i, decision: decisions.get(i.candidate.key)!, freed: 0 }));
  const deleted = items.filter((i) => i.decision.decision === "delete");
  const used = new Set(items.filter((i) => i.decision.decision === "keep").flatMap((i) => [...i.held.keys()]));

  if (isImageRepo(repo)) {
    for (const [image, g] of c.graphs) {
      const mine = deleted.filter((d) => d.ref.image === image);
      const joint = new Set(closureOf(g, mine.map((d) => d.ref.digest!)));
      for (const d of blobsOf(g, [...g.manifests.keys()].filter((m) => !joint.has(m)))) used.add(d);
      // A platform manifest two deleted indexes share goes with the later one.
      const extra = blobsOf(g, [...joint]).filter((d) => !mine.some((m) => m.held.has(d)));
      if (extra.length && mine.length) {
        const last = mine[mine.length - 1]!;
        for (const s of await blobSizes(scope.db, extra)) last.held.set(s.digest, s.size);
        last.size = [...last.held.values()].reduce((n, s) => n + s, 0);
      }
    }
  }
  const digests = [...new Set(deleted.flatMap((d) => [...d.held.keys()]))];
  for (const r of await heldInRepo(scope.db, repo.id, digests)) used.add(r.digest);
  for (const r of await linkedElsewhere(scope.db, repo.id, digests)) used.add(r.digest);
  const freed = freedBytes(deleted.map((d) => ({ key: d.candidate.key, held: d.held })), (d) => used.has(d));
  for (const d of deleted) d.freed = freed.perItem.get(d.candidate.key) ?? 0;
  return { items, deleted, freedBytes: freed.total };
}
