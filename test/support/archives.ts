/**
 * Builds the archives OS packages are made of, for tests: ar (tar and gzip come from
 * ../tar-builder.ts), a Debian binary package (`dpkg-deb --build -Zgzip` layout) and a
 * packaged Helm chart. The xz and zstd variants
 * can't be made inside workerd (no compressor): test/fixtures/os-packages.ts holds
 * packages built by dpkg-deb itself (scripts/make-os-fixtures.sh).
 */
import { gzip, tar } from "../tar-builder";
import { concatChunks } from "../../src/core/byte-reader";

const enc = new TextEncoder();

export const gzipBytes = gzip;
export { tar };

export const concatBytes = (...parts: Uint8Array[]) => concatChunks(parts);

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
