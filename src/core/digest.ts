/**
 * Content digests as the registry spells them: `<algorithm>:<lowercase hex>`.
 * Invariant: blobs are stored and looked up by their sha256 digest only; other
 * algorithms a client may name (sha512) are parsed so they can be refused cleanly.
 */
import { invalid } from "./errors";

const DIGEST = /^(sha256|sha512):([a-f0-9]+)$/;
const HEX_LENGTH = { sha256: 64, sha512: 128 } as const;

export interface Digest {
  algorithm: "sha256" | "sha512";
  hex: string;
}

export function parseDigest(text: string): Digest | null {
  const m = DIGEST.exec(text);
  if (!m) return null;
  const algorithm = m[1] as Digest["algorithm"];
  return m[2]!.length === HEX_LENGTH[algorithm] ? { algorithm, hex: m[2]! } : null;
}

export function assertSha256Digest(text: string): string {
  const d = parseDigest(text);
  if (!d || d.algorithm !== "sha256") {
    throw invalid("Digest", `'${text}' is not a sha256 digest (sha256:<64 hex digits>)`);
  }
  return text;
}

export const sha256Digest = (hex: string) => `sha256:${hex}`;
