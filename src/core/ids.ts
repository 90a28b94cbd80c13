/**
 * Identifiers and secrets.
 * Invariants: ids are random UUIDv4 strings; token secrets carry 256 bits of entropy
 * and are only ever persisted as their SHA-256 (see auth/tokens.ts).
 */

export const newId = (): string => crypto.randomUUID();
/**
 * An id that clients print: a UUID's 128 random bits without its dashes. npm 11 redacts
 * anything shaped like a UUID from its output (@npmcli/redact, as it would a token), which
 * turned a 451's `public_url` (`/blocked/<id>` of a block or licence policy) into
 * `/blocked/***` in the developer's terminal.
 */
export const newPublicId = (): string => crypto.randomUUID().replace(/-/g, "");

const B64URL = /[+/=]/g;
export function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(B64URL, (c) => (c === "+" ? "-" : c === "/" ? "_" : ""));
}

export function base64urlDecode(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
  const bin = atob(padded);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function randomSecret(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function sha256Hex(input: string | ArrayBuffer | Uint8Array): Promise<string> {
  const data = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const digest = await crypto.subtle.digest("SHA-256", data);
  return hex(new Uint8Array(digest));
}

export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Constant-time comparison of two strings of equal length. */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
