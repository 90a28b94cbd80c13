/** The workerd side of the private sigstore (test/support/sigstore-signer.mjs, the `SIGSTORE` binding). */
import { env } from "cloudflare:test";

const signer = () => (env as unknown as { SIGSTORE: Fetcher }).SIGSTORE;
async function call<T>(path: string, body?: unknown): Promise<T> {
  const res = await signer().fetch(`http://sigstore${path}`, body === undefined ? undefined : { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  if (!res.ok) throw new Error(`sigstore signer ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<T>;
}
const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
export const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

export interface Identity {
  san: string;
  issuer: string;
  /** More Fulcio certificate extensions, `{oid: value}` (source repository, ref, runner …). */
  extensions?: Record<string, string>;
}
export interface BundleOptions {
  /** A named key (kept by the signer): keyed policies trust its public key. Omitted: a fresh key. */
  key?: string;
  keyType?: "ec" | "ed25519";
  /** Keyless: a Fulcio certificate for this identity. */
  identity?: Identity;
  /** A DSSE envelope of this payload type instead of a message signature. */
  dsse?: string;
  /** false: not logged in Rekor. */
  tlog?: boolean;
  /** When Rekor says it integrated the entry, from the CA's clock (certs are valid 10 minutes). */
  atOffsetMs?: number;
  tamper?: boolean;
}
export interface Made {
  bundle: any;
  rekorAnnotation: string | null;
  certificatePem: string | null;
  publicKeyPem: string;
}

export const trustedRoot = () => call<any>("/root");
export const publicKey = async (name: string, type: "ec" | "ed25519" = "ec") => (await call<{ publicKeyPem: string }>("/key", { name, type })).publicKeyPem;
export const sign = (payload: Uint8Array, o: BundleOptions = {}) => call<Made>("/bundle", { payload: b64(payload), ...o });
export const statement = async (subjects: { name: string; digest: Record<string, string> }[], predicateType?: string) =>
  fromB64((await call<{ payload: string }>("/statement", { subjects, predicateType })).payload);
export const simpleSigning = async (reference: string, digest: string) => fromB64((await call<{ payload: string }>("/simple-signing", { reference, digest })).payload);
export const GITHUB = "https://token.actions.githubusercontent.com";
export const workflow = (repo = "acme/app", ref = "refs/heads/main") => `https://github.com/${repo}/.github/workflows/release.yml@${ref}`;
