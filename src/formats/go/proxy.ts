/**
 * Go modules: GOPROXY reads and uploads on top of the shared package model.
 *
 * Model: package name = module path (case preserved), one version per module version,
 * files `<module>/@v/<version>.zip` and `<module>/@v/<version>.mod`; the version's
 * metadata records `time` once its zip is in. Uploads: PUT the .zip (its go.mod becomes
 * the .mod, or `module <path>` when it has none); a .mod PUT is optional, before or
 * after the zip, and must match.
 *
 * Invariants:
 * - Only versions whose zip is stored are listed or served; a version with just a
 *   .mod is invisible to readers.
 * - A stored zip and .mod never change (409 on different bytes, no-op on the same).
 * - The zip is validated (formats/go/module.ts) from ranged reads of the stored object;
 *   a refused upload unlinks what it ingested.
 * - Policies (services/policy): `@v/list` and `@latest` leave out held and refused
 *   versions (the go command resolves queries from them, and has no yanked state to
 *   show), and `.info`, `.mod` and `.zip` of such a version answer 451 with the refusal
 *   in the body (go prints it as the server's response); `@latest` when every version
 *   is refused answers the newest one's 451.
 */
import type { Scope } from "../../services/scope";
import type { OpenedRepo } from "../../services/projects";
import { ingestBlob, readBlob } from "../../services/artifacts";
import * as packages from "../../services/artifacts";
import type { StoredFile } from "../../services/artifacts";
import { assertModulePath, assertVersionFitsPath, moduleOfGoMod, type parseProxyPath } from "./module";
import { checkModuleZip, checkVendoring, MAX_GO_MOD_BYTES, MAX_ZIP_BYTES } from "./module-zip";
import { readCentralDirectory, readEntry, type ZipSource } from "../../core/zip";
import { highest } from "../../core/semver";
import { RegistryError, conflict, invalid, notFound } from "../../core/errors";
import { readCapped } from "../../core/byte-reader";
import { bodyBroken } from "../../core/block-reader";
import { enforceVersion, versionsView } from "../../services/policy";

const zipName = (module: string, version: string) => `${module}/@v/${version}.zip`;
const modName = (module: string, version: string) => `${module}/@v/${version}.mod`;

const bytesStream = (bytes: Uint8Array) => new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(bytes), c.close()) });

async function versionFiles(scope: Scope, opened: OpenedRepo, module: string, version: string) {
  const zip = await packages.findFileByName(scope, opened.repo.id, zipName(module, version));
  const mod = await packages.findFileByName(scope, opened.repo.id, modName(module, version));
  return { zip, mod };
}

function repoSource(scope: Scope, repoId: string, digest: string, size: number): ZipSource {
  return {
    size,
    async read(offset, length) {
      const r = await readBlob(scope, repoId, digest, { offset, length });
      if (!r) throw notFound("Blob", "the uploaded zip vanished");
      return new Uint8Array(await new Response(r.object.body).arrayBuffer());
    },
  };
}

export async function uploadZip(scope: Scope, opened: OpenedRepo, module: string, version: string, body: ReadableStream<Uint8Array>, length: number | null) {
  assertModulePath(module);
  assertVersionFitsPath(module, version);
  const blob = await ingestBlob(scope, opened.repo, body, { length, maxBytes: MAX_ZIP_BYTES, mediaType: "application/zip" });
  const ingested = [blob.digest];
  try {
    const existing = await versionFiles(scope, opened, module, version);
    if (existing.zip) {
      if (existing.zip.digest !== blob.digest) throw conflict("VersionExists", `${module}@${version} already exists with another zip`);
      return { created: false };
    }
    const src = repoSource(scope, opened.repo.id, blob.digest, blob.size);
    const entries = await readCentralDirectory(src);
    const goModEntry = checkModuleZip(entries, module, version);
    const modBytes = goModEntry ? await readEntry(src, goModEntry, MAX_GO_MOD_BYTES) : new TextEncoder().encode(`module ${module}\n`);
    checkVendoring(entries, module, version, goModEntry ? new TextDecoder().decode(modBytes) : null);
    const declared = moduleOfGoMod(new TextDecoder().decode(modBytes));
    if (declared !== module) throw invalid("ModuleZip", `the zip's go.mod declares module ${declared ?? "(none)"}, not ${module}`);
    const mod = await ingestBlob(scope, opened.repo, bytesStream(modBytes), { length: modBytes.byteLength, mediaType: "text/plain" });
    ingested.push(mod.digest);
    if (existing.mod && existing.mod.digest !== mod.digest) throw conflict("ModMismatch", `the zip's go.mod differs from the .mod uploaded for ${module}@${version}`);
    await packages.publishVersion(scope, opened, {
      name: module,
      version,
      appendToExisting: true,
      versionMetadata: { time: new Date().toISOString() },
      files: [
        { name: zipName(module, version), digest: blob.digest, size: blob.size, mediaType: "application/zip" },
        { name: modName(module, version), digest: mod.digest, size: mod.size, mediaType: "text/plain; charset=utf-8" },
      ],
    });
    return { created: true };
  } catch (e) {
    await packages.releaseUnusedBlobs(scope, opened.repo, ingested);
    throw e;
  }
}

export async function uploadMod(scope: Scope, opened: OpenedRepo, module: string, version: string, body: ReadableStream<Uint8Array>, length: number | null) {
  assertModulePath(module);
  assertVersionFitsPath(module, version);
  const bytes = await readCapped(body, MAX_GO_MOD_BYTES, () => new RegistryError("PayloadTooLargeModuleMod", `a .mod is at most ${MAX_GO_MOD_BYTES} bytes`), { requestBody: true });
  if (length !== null && bytes.byteLength < length) throw bodyBroken(bytes.byteLength, length);
  if (length !== null && bytes.byteLength !== length) throw invalid("ModuleMod", "the .mod body does not match its Content-Length");
  const declared = moduleOfGoMod(new TextDecoder().decode(bytes));
  if (declared !== module) throw invalid("ModuleMod", `the .mod declares module ${declared ?? "(none)"}, not ${module}`);
  const mod = await ingestBlob(scope, opened.repo, bytesStream(bytes), { length: bytes.byteLength, mediaType: "text/plain" });
  const existing = await versionFiles(scope, opened, module, version);
  if (existing.mod) {
    if (existing.mod.digest !== mod.digest) {
      await packages.releaseUnusedBlobs(scope, opened.repo, [mod.digest]);
      throw conflict("ModMismatch", `${module}@${version} already has a different go.mod`);
    }
    return { created: false };
  }
  await packages.publishVersion(scope, opened, {
    name: module,
    version,
    appendToExisting: true,
    files: [{ name: modName(module, version), digest: mod.digest, size: mod.size, mediaType: "text/plain; charset=utf-8" }],
  });
  return { created: true };
}

/**
 * Versions of a module whose zip is stored, with their times and version rows; `usable`
 * are those this reader may resolve to (not held from them, not refused). Null if the
 * module is unknown.
 */
async function servedVersions(scope: Scope, opened: OpenedRepo, module: string) {
  const doc = await packages.packageDocument(scope, opened.repo.id, module, { cached: true });
  if (!doc) return null;
  const stored = doc.versions
    .filter((v) => typeof v.version.metadata.time === "string")
    .map((v) => ({ version: v.version.version, time: v.version.metadata.time as string, row: v.version }));
  const view = await versionsView(scope, opened, module, stored, (v) => v.row);
  return { stored, usable: view.visible.filter((v) => !view.refusal(v)) };
}

const refuse = (scope: Scope, opened: OpenedRepo, module: string, v: { row: packages.VersionRow }, digest: string | null = null) => enforceVersion(scope, opened, module, v.row, digest);

export async function listVersions(scope: Scope, opened: OpenedRepo, module: string): Promise<string[]> {
  const versions = await servedVersions(scope, opened, module);
  if (!versions?.stored.length) throw notFound("Module", `module ${module} not found`);
  return versions.usable.map((v) => v.version);
}

export async function versionInfo(scope: Scope, opened: OpenedRepo, module: string, version: string) {
  const found = (await servedVersions(scope, opened, module))?.stored.find((v) => v.version === version);
  if (!found) throw notFound("ModuleVersion", `${module}@${version} not found`);
  await refuse(scope, opened, module, found);
  return { Version: found.version, Time: found.time };
}

export async function latestInfo(scope: Scope, opened: OpenedRepo, module: string) {
  const versions = await servedVersions(scope, opened, module);
  const newest = <T extends { version: string }>(list: T[]) => list.find((v) => v.version === `v${highest(list.map((x) => x.version.slice(1)))}`);
  const found = newest(versions?.usable ?? []);
  if (!found) {
    const refused = newest(versions?.stored ?? []);
    if (refused) await refuse(scope, opened, module, refused);
    throw notFound("Module", `module ${module} not found`);
  }
  return { Version: found.version, Time: found.time };
}

/** A served version's .zip or .mod: one D1 round trip (with its version's policy columns); 451 when a policy refuses it. */
export async function moduleFile(scope: Scope, opened: OpenedRepo, module: string, version: string, kind: "mod" | "zip"): Promise<StoredFile> {
  const stored = await packages.storedFile(scope, opened.repo.id, moduleFileLookup(module, version, kind));
  // Only versions whose zip is stored are served (the zip sets `time`).
  if (!stored || typeof stored.versionMetadata.time !== "string") throw notFound("ModuleVersion", `${module}@${version} not found`);
  await packages.enforceStoredFile(scope, opened, stored);
  return stored;
}

const moduleFileLookup = (module: string, version: string, kind: "mod" | "zip") => ({
  packageName: module,
  version,
  name: kind === "zip" ? zipName(module, version) : modName(module, version),
});

/** The one read of a proxy request, for the gate's batch (http/prefetch.ts). */
export function plannedRead(r: NonNullable<ReturnType<typeof parseProxyPath>>) {
  return r.kind === "mod" || r.kind === "zip" ? packages.plannedStoredFile(moduleFileLookup(r.module, r.version, r.kind)) : packages.plannedPackageDocument(r.module);
}
