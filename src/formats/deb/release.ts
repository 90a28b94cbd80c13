/**
 * The apt repository index (the "dists/" tree) built from a repo's stored packages:
 * per distribution a Release file (signed inline as InRelease and detached as
 * Release.gpg), and per component and architecture a Packages file, served gzipped and
 * plain.
 *
 * Invariants:
 * - Every Packages file and its .gz is listed in its distribution's Release with MD5Sum
 *   and SHA256 and exact sizes; `Acquire-By-Hash: yes`, so apt fetches them as
 *   `by-hash/SHA256/<hex>` and never mixes files of two builds.
 * - `Architecture: all` packages appear in the Packages file of every architecture.
 *   A distribution lists the architectures its packages name plus DEFAULT_ARCHITECTURES,
 *   so the usual hosts find their Packages file even in a distribution of only `all`
 *   packages (apt otherwise notes that the repository does not support them).
 * - `Suite` and `Codename` are the distribution's name, so apt sees no conflict with the
 *   sources line.
 */
import { gzip } from "../../core/archive/decompress";
import { hex } from "../../core/ids";
import type { BuiltIndex, IndexBuildInput, IndexDocument, GunzippedDocument } from "../../services/artifacts";
import { renderStanza } from "./control";

export const DEFAULT_ARCHITECTURES = ["amd64", "arm64"];

/** What a stored .deb file row carries in its metadata. */
export interface DebFileMetadata {
  distribution: string;
  component: string;
  architecture: string;
  /** The control stanza as the package wrote it (no archive fields). */
  control: string;
  md5: string;
  sha1: string;
}

export interface ReleaseSigner {
  clearSign(text: string): Promise<string>;
  detachSign(data: Uint8Array): Promise<string>;
}

const enc = new TextEncoder();
const digestHex = async (alg: string, data: Uint8Array) => hex(new Uint8Array(await crypto.subtle.digest(alg, data)));

export const releaseDate = (ms: number) => new Date(ms).toUTCString().replace("GMT", "UTC");

export const isDebMetadata = (m: Record<string, unknown>): m is DebFileMetadata & Record<string, unknown> =>
  typeof m.distribution === "string" && typeof m.component === "string" && typeof m.architecture === "string" && typeof m.control === "string";

interface Listed {
  path: string;
  md5: string;
  sha256: string;
  size: number;
}

export async function buildAptIndex(input: IndexBuildInput, origin: string, signer: ReleaseSigner): Promise<BuiltIndex> {
  // dist → component → architecture ("all" included) → stanzas
  const tree = new Map<string, Map<string, Map<string, string[]>>>();
  for (const { file } of input.entries) {
    const m = file.metadata;
    if (!isDebMetadata(m)) continue;
    const stanza = `${m.control.replace(/\n+$/, "")}\nFilename: ${file.name}\nSize: ${file.size}\nMD5sum: ${m.md5}\nSHA1: ${m.sha1}\nSHA256: ${file.digest.slice("sha256:".length)}\n`;
    const comps = tree.get(m.distribution) ?? tree.set(m.distribution, new Map()).get(m.distribution)!;
    const arches = comps.get(m.component) ?? comps.set(m.component, new Map()).get(m.component)!;
    (arches.get(m.architecture) ?? arches.set(m.architecture, []).get(m.architecture)!).push(stanza);
  }
  const documents: IndexDocument[] = [];
  const gunzipped: GunzippedDocument[] = [];
  for (const [dist, comps] of [...tree].sort(([a], [b]) => a.localeCompare(b))) {
    const seen = new Set<string>(DEFAULT_ARCHITECTURES);
    for (const arches of comps.values()) for (const a of arches.keys()) if (a !== "all") seen.add(a);
    const architectures = [...seen].sort();
    const listed: Listed[] = [];
    for (const [comp, arches] of [...comps].sort(([a], [b]) => a.localeCompare(b))) {
      for (const arch of architectures) {
        const text = [...(arches.get(arch) ?? []), ...(arches.get("all") ?? [])].join("\n");
        const plain = enc.encode(text);
        const packed = await gzip(plain);
        const base = `${comp}/binary-${arch}/Packages`;
        documents.push({ path: `dists/${dist}/${base}.gz`, bytes: packed, contentType: "application/gzip" });
        gunzipped.push({ path: `dists/${dist}/${base}`, gunzipOf: `dists/${dist}/${base}.gz`, bytes: plain, contentType: "text/plain; charset=utf-8" });
        for (const [path, bytes] of [[base, plain], [`${base}.gz`, packed]] as const) {
          listed.push({ path, md5: await digestHex("MD5", bytes), sha256: await digestHex("SHA-256", bytes), size: bytes.byteLength });
        }
      }
    }
    const release = enc.encode(
      renderStanza([
        { name: "Origin", value: origin },
        { name: "Label", value: origin },
        { name: "Suite", value: dist },
        { name: "Codename", value: dist },
        { name: "Date", value: releaseDate(input.now) },
        { name: "Architectures", value: architectures.join(" ") },
        { name: "Components", value: [...comps.keys()].sort().join(" ") },
        { name: "Description", value: `${origin} ${dist}` },
        { name: "Acquire-By-Hash", value: "yes" },
        { name: "MD5Sum", value: listed.map((l) => `\n ${l.md5} ${String(l.size).padStart(16)} ${l.path}`).join("") },
        { name: "SHA256", value: listed.map((l) => `\n ${l.sha256} ${String(l.size).padStart(16)} ${l.path}`).join("") },
      ]),
    );
    const text = new TextDecoder().decode(release);
    documents.push(
      { path: `dists/${dist}/Release`, bytes: release, contentType: "text/plain; charset=utf-8" },
      { path: `dists/${dist}/InRelease`, bytes: enc.encode(await signer.clearSign(text)), contentType: "text/plain; charset=utf-8" },
      { path: `dists/${dist}/Release.gpg`, bytes: enc.encode(await signer.detachSign(release)), contentType: "application/pgp-signature" },
    );
  }
  return { documents, gunzipped };
}
