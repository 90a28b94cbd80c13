/**
 * Manifest labels (Quay's `/manifest/{digest}/labels`) and repo-by-id access for the
 * OCI governance routes.
 *
 * Invariants:
 * - Labels belong to a manifest digest within a repo, which must hold that manifest.
 *   Labels from a manifest's annotations are recorded at push (`source: manifest`);
 *   users add and delete their own (`source: api`) — annotation labels are part of the
 *   pushed content and can't be deleted.
 * - Every add/delete writes its audit row in the same batch and emits an event after.
 */
import type { Scope } from "../scope";
import { getRepo, openRepo, type OpenedRepo } from "../projects/repos";
import { openImage, OCI_FORMATS, type OpenedImage } from "./access";
import { auditQuery, emitEvent } from "../events/audit";
import * as q from "../../db/oci";
import { findProject } from "../../db/projects";
import { RegistryError, invalid, notFound } from "../../core/errors";
import { assertSha256Digest } from "../../core/digest";
import { newId } from "../../core/ids";
import type { Action } from "../../auth/principal";
import { snakeKeys } from "../../core/event-shapes";

export type { LabelRow, TagHistoryRow } from "../../db/oci";

export const LABEL_MEDIA_TYPES = ["text/plain", "application/json"] as const;

export async function openRepoById(scope: Scope, id: string, action: Action): Promise<OpenedRepo> {
  const repo = await getRepo(scope, id);
  const project = await findProject(scope.db, repo.projectId);
  if (!project) throw notFound("Repo", `repository ${id} not found`);
  if (!OCI_FORMATS.includes(repo.format as (typeof OCI_FORMATS)[number])) throw invalid("RepoFormat", `repository ${id} is not a container (docker/helm) repository`);
  return openRepo(scope, project.slug, repo.slug, action, OCI_FORMATS);
}

export async function openImageById(scope: Scope, id: string, image: string, action: Action): Promise<OpenedImage> {
  const { project, repo } = await openRepoById(scope, id, "read");
  return openImage(scope, `${project.slug}/${repo.slug}/${image}`, action);
}

async function manifestOf(scope: Scope, opened: OpenedRepo, digest: string) {
  assertSha256Digest(digest);
  if (!(await q.manifestInRepo(scope.db, opened.repo.id, digest))) throw notFound("Manifest", `manifest ${digest} is not in this repository`);
}

export async function listLabels(scope: Scope, repoId: string, digest: string, prefix?: string) {
  const opened = await openRepoById(scope, repoId, "read");
  await manifestOf(scope, opened, digest);
  const rows = await q.listLabels(scope.db, opened.repo.id, digest);
  return prefix ? rows.filter((l) => l.key.startsWith(prefix)) : rows;
}

export async function getLabel(scope: Scope, repoId: string, digest: string, labelId: string) {
  const opened = await openRepoById(scope, repoId, "read");
  const label = await q.findLabel(scope.db, opened.repo.id, labelId);
  if (!label || label.digest !== digest) throw notFound("Label", `label ${labelId} not found on ${digest}`);
  return label;
}

export async function addLabel(scope: Scope, repoId: string, digest: string, input: { key: string; value: string; mediaType?: string }) {
  const opened = await openRepoById(scope, repoId, "write");
  await manifestOf(scope, opened, digest);
  const mediaType = input.mediaType ?? "text/plain";
  if (!(LABEL_MEDIA_TYPES as readonly string[]).includes(mediaType)) throw invalid("LabelMediaType", `media_type must be one of ${LABEL_MEDIA_TYPES.join(", ")}`);
  if (mediaType === "application/json") {
    try {
      JSON.parse(input.value);
    } catch {
      throw invalid("LabelValue", "an application/json label needs a JSON value");
    }
  }
  const now = Date.now();
  const row: q.LabelRow = { id: newId(), repoId: opened.repo.id, digest, key: input.key, value: input.value, mediaType, source: "api", createdAt: now };
  await scope.db.batch([
    q.insertLabels(scope.db, [row]),
    auditQuery(scope, { action: "manifest.label.add", resourceType: "manifest_label", resourceId: row.id, projectId: opened.project.id, after: row }, now),
  ]);
  await emitEvent(scope, { type: "manifest.label.added", project_id: opened.project.id, data: { repo_id: opened.repo.id, digest, label: snakeKeys(row) } });
  return row;
}

export async function deleteLabel(scope: Scope, repoId: string, digest: string, labelId: string) {
  const opened = await openRepoById(scope, repoId, "write");
  const label = await q.findLabel(scope.db, opened.repo.id, labelId);
  if (!label || label.digest !== digest) throw notFound("Label", `label ${labelId} not found on ${digest}`);
  if (label.source !== "api") throw new RegistryError("ForbiddenLabelFromManifest", "labels that come from the manifest's annotations can't be deleted");
  await scope.db.batch([
    q.deleteLabel(scope.db, opened.repo.id, labelId),
    auditQuery(scope, { action: "manifest.label.delete", resourceType: "manifest_label", resourceId: labelId, projectId: opened.project.id, before: label }),
  ]);
  await emitEvent(scope, { type: "manifest.label.deleted", project_id: opened.project.id, data: { repo_id: opened.repo.id, digest, label: snakeKeys(label) } });
}
