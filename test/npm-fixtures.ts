/** Test fixture: the request bodies `npm publish` sends. */
const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const hexOf = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

export async function tarball(seed: string) {
  const bytes = new TextEncoder().encode(`fake tarball of ${seed} ${"x".repeat(200)}`);
  const sha512 = new Uint8Array(await crypto.subtle.digest("SHA-512", bytes));
  const sha1 = new Uint8Array(await crypto.subtle.digest("SHA-1", bytes));
  return { bytes, integrity: `sha512-${b64(sha512)}`, shasum: hexOf(sha1) };
}

/** The body `npm publish` sends. */
export async function publishBody(name: string, version: string, opts: { tag?: string; integrity?: string; shasum?: string; deps?: Record<string, string> } = {}) {
  const t = await tarball(`${name}@${version}`);
  const file = `${name}-${version}.tgz`;
  return {
    bytes: t.bytes,
    body: {
      _id: name,
      name,
      description: `the ${name} package`,
      "dist-tags": { [opts.tag ?? "latest"]: version },
      versions: {
        [version]: {
          name,
          version,
          description: `the ${name} package`,
          main: "index.js",
          readme: "# hello",
          scripts: { postinstall: "node x.js" },
          dependencies: opts.deps ?? {},
          _id: `${name}@${version}`,
          dist: { integrity: opts.integrity ?? t.integrity, shasum: opts.shasum ?? t.shasum, tarball: `http://elsewhere/${name}/-/${file}` },
        },
      },
      access: "public",
      _attachments: { [file]: { content_type: "application/octet-stream", data: b64(t.bytes), length: t.bytes.length } },
    },
  };
}

export const esc = (name: string) => name.replace("/", "%2f");

