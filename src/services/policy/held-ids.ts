/**
 * Ids of held artifacts in the quarantine API: a package version is its version id; an
 * image manifest, which has no id of its own, is `m_` + base64url of repo, image and
 * digest. Pure; the round trip is exact.
 */
import { base64url, base64urlDecode } from "../../core/ids";

export const heldIdOfManifest = (repoId: string, image: string, digest: string) => `m_${base64url(new TextEncoder().encode(`${repoId}\n${image}\n${digest}`))}`;

export function parseHeldId(id: string): { kind: "version"; versionId: string } | { kind: "manifest"; repoId: string; image: string; digest: string } | null {
  if (!id.startsWith("m_")) return /^[0-9a-f-]{36}$/.test(id) ? { kind: "version", versionId: id } : null;
  try {
    const [repoId, image, digest, extra] = new TextDecoder().decode(base64urlDecode(id.slice(2))).split("\n");
    if (!repoId || !image || !digest || extra !== undefined) return null;
    return { kind: "manifest", repoId, image, digest };
  } catch {
    return null;
  }
}
