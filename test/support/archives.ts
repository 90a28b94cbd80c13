/**
 * Builds the archives OS packages are made of, for tests: tar (ustar), ar, gzip, and a
 * Debian binary package (`dpkg-deb --build -Zgzip` layout). The xz and zstd variants
 * can't be made inside workerd (no compressor): test/fixtures/os-packages.ts holds
 * packages built by dpkg-deb itself (scripts/make-os-fixtures.sh).
 */
const enc = new TextEncoder();

export async function gzipBytes(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([data]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
}

export const concatBytes = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

export interface TarInput {
  name: string;
  data?: string | Uint8Array;
  type?: "0" | "5";
  mode?: number;
}

function tarHeader(name: string, size: number, type: string, mode: number): Uint8Array {
  const h = new Uint8Array(512);
  const put = (text: string, offset: number, length: number) => h.set(enc.encode(text).subarray(0, length), offset);
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, "0") + "\0";
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(1700000000, 12), 136, 12);
  put("        ", 148, 8);
  put(type, 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  put("root", 265, 32);
  put("root", 297, 32);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return h;
}

export function tar(entries: TarInput[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const data = typeof e.data === "string" ? enc.encode(e.data) : (e.data ?? new Uint8Array(0));
    blocks.push(tarHeader(e.name, data.length, e.type ?? "0", e.mode ?? (e.type === "5" ? 0o755 : 0o644)));
    const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
    padded.set(data);
    blocks.push(padded);
  }
  blocks.push(new Uint8Array(1024));
  return concatBytes(...blocks);
}

export function ar(members: { name: string; data: Uint8Array }[]): Uint8Array {
  const parts: Uint8Array[] = [enc.encode("!<arch>\n")];
  for (const m of members) {
    const header = `${m.name.padEnd(16)}${"1700000000".padEnd(12)}${"0".padEnd(6)}${"0".padEnd(6)}${"100644".padEnd(8)}${String(m.data.length).padEnd(10)}\`\n`;
    parts.push(enc.encode(header), m.data);
    if (m.data.length % 2) parts.push(enc.encode("\n"));
  }
  return concatBytes(...parts);
}

export interface DebInput {
  name: string;
  version: string;
  arch?: string;
  description?: string;
  /** Extra control fields, in order. */
  fields?: Record<string, string>;
  /** Content that makes the package's bytes differ. */
  payload?: string;
}

export function debControl(p: DebInput): string {
  const extra = Object.entries(p.fields ?? {}).map(([k, v]) => `${k}: ${v}\n`).join("");
  return `Package: ${p.name}\nVersion: ${p.version}\nArchitecture: ${p.arch ?? "amd64"}\nMaintainer: Test <test@example.com>\nInstalled-Size: 1\n${extra}Description: ${p.description ?? "a test package"}\n Built inside the test.\n`;
}

/** A .deb as `dpkg-deb --build -Zgzip` lays it out. */
export async function buildDeb(p: DebInput): Promise<Uint8Array> {
  const control = await gzipBytes(tar([{ name: "./", type: "5" }, { name: "./control", data: debControl(p) }]));
  const data = await gzipBytes(
    tar([
      { name: "./", type: "5" },
      { name: `./usr/share/doc/${p.name}/`, type: "5" },
      { name: `./usr/share/doc/${p.name}/README`, data: p.payload ?? `${p.name} ${p.version}\n` },
    ]),
  );
  return ar([
    { name: "debian-binary", data: enc.encode("2.0\n") },
    { name: "control.tar.gz", data: control },
    { name: "data.tar.gz", data },
  ]);
}

/** A chart as `helm package` lays it out: `<name>/Chart.yaml`, values and templates, gzipped. */
export async function buildChart(p: { name: string; version: string; chartYaml?: string; extra?: string; topDir?: string }): Promise<Uint8Array> {
  const dir = p.topDir ?? p.name;
  const chartYaml =
    p.chartYaml ??
    `apiVersion: v2\nname: ${p.name}\nversion: ${p.version}\ndescription: A chart built by the test\ntype: application\nappVersion: "1.16.0"\nkeywords:\n  - test\nmaintainers:\n  - name: Test\n    email: test@example.com\n`;
  return gzipBytes(
    tar([
      { name: `${dir}/Chart.yaml`, data: chartYaml },
      { name: `${dir}/values.yaml`, data: `replicaCount: 1\n# ${p.extra ?? ""}\n` },
      { name: `${dir}/templates/configmap.yaml`, data: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n" },
    ]),
  );
}
