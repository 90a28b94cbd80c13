/**
 * Tags: listing (`n`/`last` pagination), immutability, history and the time machine.
 *
 * Invariants:
 * - Every change of a tag (create, move, delete, restore) is the pair of statements
 *   `tagChange` returns — the tag row change and its history row — always batched
 *   together, so the history can't miss a move.
 * - A tag matching one of the repo's `immutable_tags` globs, once it exists, never
 *   points anywhere else and is never deleted (DENIED).
 * - A restore may only point a tag back at a digest it pointed at within
 *   TAG_HISTORY_WINDOW_MS, and only while that manifest still exists.
 */
import { readOnce, type Scope } from "../scope";
import type { PlannedRead } from "../artifacts";
import type { OpenedImage } from "./access";
import { actorOf, auditQuery, emitEvent } from "../events/audit";
import * as q from "../../db/oci";
import { RegistryError } from "../../core/errors";
import { matchesAny } from "../../core/names";
import { newId } from "../../core/ids";
import { assertSha256Digest } from "../../core/digest";
import { isTag } from "./names";
import { runBatch, runRead } from "../../db/client";

export const TAG_HISTORY_WINDOW_MS = 14 * 24 * 60 * 60 * 1000;
export const MAX_TAGS_PAGE = 1000;

export interface TagChange {
  tag: string;
  from: string | null;
  to: string | null;
  action: "create" | "move" | "delete" | "restore";
}

export function assertTagMutable(img: OpenedImage, tag: string) {
  if (matchesAny(tag, img.repo.immutableTags)) {
    throw new RegistryError("ForbiddenTagImmutable", `tag '${tag}' is immutable in this repository: it can't be overwritten or deleted`, {
      detail: { tag },
    });
  }
}

export function tagChange(scope: Scope, img: OpenedImage, c: TagChange, now: number) {
  const { repo, name } = img;
  const actor = actorOf(scope);
  return [
    c.to === null
      ? q.deleteTag(scope.db, repo.id, name.image, c.tag)
      : q.upsertTag(scope.db, { repoId: repo.id, image: name.image, tag: c.tag, digest: c.to, createdAt: now, updatedAt: now }),
    q.insertTagHistory(scope.db, {
      id: newId(),
      repoId: repo.id,
      image: name.image,
      tag: c.tag,
      digest: c.to,
      previousDigest: c.from,
      action: c.action,
      actorType: actor.actorType,
      actorName: actor.actorName,
      createdAt: now,
    }),
  ];
}

const invalidN = () => new RegistryError("InvalidPageSize", "n must be a non-negative integer");

/** The page size `n` asks for (MAX_TAGS_PAGE when absent). */
function pageSize(n: string | undefined): number {
  if (n === undefined || n === "") return MAX_TAGS_PAGE;
  if (!/^\d+$/.test(n)) throw invalidN();
  return Math.min(Number(n), MAX_TAGS_PAGE);
}

const tagsReadKey = (image: string, limit: number, last: string | undefined) => `tags:${image}|${limit}|${last ?? ""}`;

/** The page read of a tags/list request, for the gate's batch (http/prefetch.ts): one round trip cold. */
export function plannedTags(image: string, n: string | undefined, last: string | undefined): PlannedRead | null {
  const limit = pageSize(n);
  if (limit === 0) return null;
  const after = last || undefined;
  return { key: tagsReadKey(image, limit, after), read: (scope, repo) => q.tagsPageRead(scope.db, repo, image, after, limit + 1) };
}

/**
 * Tags in lexical order after `last`, at most `n`; `next` is set when more may follow.
 * One query, made by the gate's batch when the isolate had nothing cached.
 */
export async function listTags(scope: Scope, img: OpenedImage, n: string | undefined, last: string | undefined) {
  const limit = pageSize(n);
  if (limit === 0) return { tags: [] as string[], next: null };
  const after = last || undefined;
  const page = await readOnce(scope, tagsReadKey(img.name.image, limit, after), () => runRead(scope.db, q.tagsPageRead(scope.db, img.repo.id, img.name.image, after, limit + 1)));
  if (page.tags.length === 0 && page.imageExists === false) {
    throw new RegistryError("NotFoundImage", `no image ${img.name.full}`, { detail: { name: img.name.full } });
  }
  const tags = page.tags.slice(0, limit);
  return { tags, next: page.tags.length > limit ? tags[tags.length - 1]! : null };
}

export async function tagHistory(scope: Scope, img: OpenedImage, tag: string | undefined, limit = 100) {
  return q.tagHistory(scope.db, img.repo.id, img.name.image, tag, Date.now() - TAG_HISTORY_WINDOW_MS, Math.min(Math.max(limit, 1), 500));
}

/** The time machine: point `tag` back at `digest`, if it pointed there within the window. */
export async function restoreTag(scope: Scope, img: OpenedImage, tag: string, digest: string) {
  if (!isTag(tag)) throw new RegistryError("InvalidTag", `'${tag}' is not a valid tag`);
  assertSha256Digest(digest);
  const since = Date.now() - TAG_HISTORY_WINDOW_MS;
  if (!(await q.tagPointedAt(scope.db, img.repo.id, img.name.image, tag, digest, since))) {
    throw new RegistryError("InvalidTagRestore", `tag '${tag}' did not point at ${digest} in the last ${TAG_HISTORY_WINDOW_MS / 86_400_000} days`);
  }
  if (!(await q.findManifest(scope.db, img.repo.id, img.name.image, { digest }, false))) {
    throw new RegistryError("NotFoundManifest", `manifest ${digest} no longer exists in ${img.name.full}`);
  }
  const current = await q.findTag(scope.db, img.repo.id, img.name.image, tag);
  if (current?.digest === digest) return { tag, digest, changed: false };
  if (current) assertTagMutable(img, tag);
  const now = Date.now();
  await runBatch(scope.db, [
    ...tagChange(scope, img, { tag, from: current?.digest ?? null, to: digest, action: "restore" }, now),
    auditQuery(scope, { action: "tag.restore", resourceType: "tag", resourceId: `${img.name.full}:${tag}`, projectId: img.project.id, before: { digest: current?.digest ?? null }, after: { digest } }, now),
  ]);
  await emitEvent(scope, {
    type: "artifact.uploaded",
    project_id: img.project.id,
    data: { format: img.repo.format, repo_id: img.repo.id, project_id: img.project.id, name: img.name.full, tag, digest, restored_from: current?.digest ?? null },
  });
  return { tag, digest, changed: true };
}
