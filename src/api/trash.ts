/**
 * A repository's trash: what was deleted, restorable until its window ends.
 *   GET    /repos/{id}/trash                        entries, oldest deletion first (read)
 *   GET    /repos/{id}/trash/{entry_id}             one entry (read)
 *   POST   /repos/{id}/trash/{entry_id}/restore     put it back, tags and all (write; audited)
 *   DELETE /repos/{id}/trash/{entry_id}             purge it now (project admin; audited)
 * What a user sees: an entry counts toward the project's quota until it is purged; a
 * purge frees the quota at once and the bytes at the next garbage collection.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { d, at, pathParam } from "./fields";
import { apiRoute, json } from "./route";
import { PageQuery, iso, pageOf } from "./schemas";
import { page } from "./serialize";
import * as lifecycle from "../services/lifecycle";
import { getRepoWithProject } from "../services/projects";
import { TRASH_KINDS, TRASH_REASONS } from "../core/vocabulary";

const tags = ["Trash"];
const RepoParam = z.object({ id: pathParam("id", "Repository id") });
const EntryParams = RepoParam.extend({ entry_id: pathParam("entry_id", "Trash entry id") });

const Entry = z
  .object({
    id: d(z.string(), "Entry id"),
    repo_id: d(z.string(), "Repository"),
    kind: d(z.enum(TRASH_KINDS), "`version`, `package` (every version), `file`, or `manifest` (with its signatures and the platform manifests only it listed)"),
    name: d(z.string(), "Package or image name"),
    ref: d(z.string(), "Version, file path or manifest digest"),
    tags: d(z.array(z.string()), "Tags (images) or dist-tags (npm) it carried: put back on restore when still free"),
    size: d(z.number().int(), "Bytes of the blobs it holds (each counted once)"),
    counts_toward_quota: d(z.literal(true), "Always true: an entry's bytes stay charged to the project's quota until it is purged"),
    reason: d(z.enum(TRASH_REASONS), "`delete` (a user, client or API delete), `overwrite` (a generic file replaced), `retention` (a retention run)"),
    run_id: d(z.string().nullable(), "The retention run that deleted it"),
    policy: d(z.string().nullable(), "The retention policy that decided"),
    deleted_by: d(z.object({ type: d(z.string(), "Actor type (`system` for a retention run)"), name: d(z.string().nullable(), "Actor name") }), "Who deleted it"),
    deleted_at: at("When it was deleted"),
    expires_at: at("When it is purged unless restored"),
  })
  .openapi("TrashEntry");
/** The API's view: the audit view (services/lifecycle entryView) with wire names and times. */
const entryOut = (e: lifecycle.TrashRow) => {
  const { policy_name, actor_type, actor_name, deleted_at, expires_at, ...same } = lifecycle.entryView(e);
  return { ...same, counts_toward_quota: true as const, policy: policy_name, deleted_by: { type: actor_type, name: actor_name }, deleted_at: iso(deleted_at)!, expires_at: iso(expires_at)! };
};
const Restored = z
  .object({
    entry: Entry,
    tags_restored: d(z.array(z.string()), "Tags put back"),
    tags_skipped: d(z.array(z.string()), "Tags that point elsewhere by now: left where they are"),
  })
  .openapi("TrashRestored");
const Purged = z
  .object({ entry: Entry, released_bytes: d(z.number().int(), "Bytes given back to the project's quota (blobs nothing else in the repository uses); storage frees them at the next garbage collection") })
  .openapi("TrashPurged");

export const trashRoutes = new OpenAPIHono<AppEnv>();
const open = (c: { var: AppEnv["Variables"] }, id: string) => getRepoWithProject(c.var.scope, id);

trashRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/repos/{id}/trash",
    operationId: "listTrash",
    tags,
    summary: "What was deleted from the repository and can still be restored (entries count toward the quota until purged)",
    request: { params: RepoParam, query: PageQuery },
    responses: { 200: json(pageOf(Entry, "TrashEntryPage"), "A page of entries, oldest deletion first") },
  }),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(page(await lifecycle.listTrash(c.var.scope, await open(c, c.req.valid("param").id), cursor, limit), entryOut), 200);
  },
);
trashRoutes.openapi(
  apiRoute({ method: "get", path: "/repos/{id}/trash/{entry_id}", operationId: "getTrashEntry", tags, summary: "One trash entry", request: { params: EntryParams }, responses: { 200: json(Entry, "The entry") } }),
  async (c) => {
    const p = c.req.valid("param");
    return c.json(entryOut(await lifecycle.getTrashEntry(c.var.scope, await open(c, p.id), p.entry_id)), 200);
  },
);
trashRoutes.openapi(
  apiRoute({
    method: "post",
    path: "/repos/{id}/trash/{entry_id}/restore",
    operationId: "restoreTrashEntry",
    tags,
    summary: "Put an entry back as it was, tags and all (write; audited). 409 when something has taken its place since",
    request: { params: EntryParams },
    responses: { 200: json(Restored, "Restored") },
  }),
  async (c) => {
    const p = c.req.valid("param");
    const r = await lifecycle.restoreTrashEntry(c.var.scope, await open(c, p.id), p.entry_id);
    return c.json({ entry: entryOut(r.entry), tags_restored: r.tagsRestored, tags_skipped: r.tagsSkipped }, 200);
  },
);
trashRoutes.openapi(
  apiRoute({
    method: "delete",
    path: "/repos/{id}/trash/{entry_id}",
    operationId: "purgeTrashEntry",
    tags,
    summary: "Purge an entry now, for good (project admin; audited): its bytes leave the quota at once and storage at the next garbage collection",
    request: { params: EntryParams },
    responses: { 200: json(Purged, "Purged") },
  }),
  async (c) => {
    const p = c.req.valid("param");
    const r = await lifecycle.purgeEarly(c.var.scope, await open(c, p.id), p.entry_id);
    return c.json({ entry: entryOut(r.entry), released_bytes: r.releasedBytes }, 200);
  },
);
