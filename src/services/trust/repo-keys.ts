/**
 * Per-repo OpenPGP signing keys: the key that signs a repo's generated indexes (apt's
 * InRelease, dnf's repomd.xml.asc), made on first use.
 *
 * Invariants:
 * - One key per repo, for its lifetime: two requests that both find none race on
 *   `insert … on conflict do nothing`, and both then use the row that won.
 * - The private key is a secret: stored only encrypted (AES-GCM under a key derived
 *   with HKDF from ORBITALREG_SIGNING_KEY_SECRET, else from the admin token), never
 *   returned by any function here, never logged. Only the public key and fingerprint
 *   leave this module.
 * - Ed25519 (OpenPGP v4, EdDSA): made in milliseconds (an RSA-3072 key took 3 s of CPU in
 *   workerd), signatures are deterministic, and gpg/gpgv ≥ 2.1 (apt, dnf's librepo) verify it.
 */
import * as openpgp from "openpgp";
import { readOnce, type Scope } from "../scope";
import type { PlannedRead } from "../artifacts";
import * as q from "../../db/signing-keys";
import { RegistryError } from "../../core/errors";
import { TtlCache } from "../../core/ttl-cache";
import { config } from "../../config";
import type { Env } from "../../env";

export interface RepoKeyInfo {
  fingerprint: string;
  algorithm: string;
  publicKeyArmored: string;
  createdAt: number;
}

export interface KeyOwner {
  id: string;
  /** For the key's user ID: `OrbitalReg <label> signing key`. */
  label: string;
}

const ALGORITHM = "ed25519";
const unlocked = new TtlCache<string, openpgp.PrivateKey>(5 * 60 * 1000);
const wrapKeys = new Map<string, CryptoKey>();

async function wrapKey(env: Env): Promise<CryptoKey> {
  const c = config(env);
  const secret = c.signingKeySecret ?? `admin-token:${c.adminToken ?? "orbitalreg-unconfigured"}`;
  const known = wrapKeys.get(secret);
  if (known) return known;
  const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "HKDF", false, ["deriveKey"]);
  const key = await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new TextEncoder().encode("orbitalreg"), info: new TextEncoder().encode("repo-signing-keys/v1") },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
  wrapKeys.set(secret, key);
  return key;
}

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const unb64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

async function seal(scope: Scope, repoId: string, armored: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(repoId) }, await wrapKey(scope.env), new TextEncoder().encode(armored)),
  );
  const out = new Uint8Array(iv.length + sealed.length);
  out.set(iv);
  out.set(sealed, iv.length);
  return b64(out);
}

async function unseal(scope: Scope, repoId: string, sealed: string): Promise<string> {
  const bytes = unb64(sealed);
  try {
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData: new TextEncoder().encode(repoId) }, await wrapKey(scope.env), bytes.subarray(12));
    return new TextDecoder().decode(plain);
  } catch {
    // The secret changed since the key was made: say so, without any key material.
    throw new RegistryError("InternalSigningKeyUnreadable", "the repository's signing key can't be decrypted with the configured signing-key secret");
  }
}

const info = (row: q.SigningKeyRow): RepoKeyInfo => ({ fingerprint: row.fingerprint, algorithm: row.algorithm, publicKeyArmored: row.publicKey, createdAt: row.createdAt });

const KEY_READ = "signing-key";

/** `repoPublicKey`'s read, for the gate's batch (a key route of apt or dnf). */
export const plannedSigningKey = (): PlannedRead => ({ key: KEY_READ, read: (scope, repo) => q.signingKeyRead(scope.db, repo) });

/** Public keys by repo id: a repo's key never changes, so a warm key route reads nothing. */
const publicKeys = new TtlCache<string, RepoKeyInfo>(5 * 60 * 1000);

async function keyRow(scope: Scope, owner: KeyOwner): Promise<q.SigningKeyRow> {
  const existing = await readOnce(scope, KEY_READ, () => q.findSigningKey(scope.db, owner.id));
  if (existing) return existing;
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: "ecc",
    curve: "ed25519Legacy",
    userIDs: [{ name: `OrbitalReg ${owner.label} signing key` }],
    format: "armored",
  });
  const fingerprint = (await openpgp.readKey({ armoredKey: publicKey })).getFingerprint().toUpperCase();
  await q.insertSigningKeyIfAbsent(scope.db, {
    repoId: owner.id,
    algorithm: ALGORITHM,
    fingerprint,
    publicKey,
    privateKeyEncrypted: await seal(scope, owner.id, privateKey),
    createdAt: Date.now(),
  });
  return (await q.findSigningKey(scope.db, owner.id))!;
}

/** The repo's public key (made on first use). */
export async function repoPublicKey(scope: Scope, owner: KeyOwner): Promise<RepoKeyInfo> {
  return publicKeys.get(owner.id) ?? publicKeys.set(owner.id, info(await keyRow(scope, owner)));
}

/** A public key as a binary OpenPGP keyring (what `gpg --dearmor` writes; apt's signed-by takes either). */
export async function publicKeyBinary(key: RepoKeyInfo): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array((await openpgp.readKey({ armoredKey: key.publicKeyArmored })).write());
}

async function signingKey(scope: Scope, owner: KeyOwner): Promise<openpgp.PrivateKey> {
  const cached = unlocked.get(owner.id);
  if (cached) return cached;
  const row = await keyRow(scope, owner);
  const key = await openpgp.readPrivateKey({ armoredKey: await unseal(scope, owner.id, row.privateKeyEncrypted) });
  unlocked.set(owner.id, key);
  return key;
}

/**
 * When a signature says it was made: `date`, but never before the key itself. An index
 * build takes its time before the key is read, and the key may be made on first use by
 * that very build (or by another request a moment later): OpenPGP refuses a signature
 * that predates its key ("creation time is in the future"), which failed the read.
 */
const signingDate = (key: openpgp.PrivateKey, date: Date) => {
  const created = key.getCreationTime();
  return date.getTime() < created.getTime() ? created : date;
};

/** `text` as an OpenPGP clear-signed message (apt's InRelease). */
export async function clearSign(scope: Scope, owner: KeyOwner, text: string, date = new Date()): Promise<string> {
  const message = await openpgp.createCleartextMessage({ text });
  const key = await signingKey(scope, owner);
  return openpgp.sign({ message, signingKeys: key, date: signingDate(key, date) });
}

/** An armored detached signature of `data` (apt's Release.gpg, dnf's repomd.xml.asc). */
export async function detachSign(scope: Scope, owner: KeyOwner, data: Uint8Array, date = new Date()): Promise<string> {
  const message = await openpgp.createMessage({ binary: data });
  const key = await signingKey(scope, owner);
  return openpgp.sign({ message, signingKeys: key, detached: true, date: signingDate(key, date), format: "armored" });
}
