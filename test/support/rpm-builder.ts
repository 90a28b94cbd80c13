/**
 * Builds small RPM files for tests (the contract suite needs one per seed): a lead, a
 * signature header with the header's SHA-256, a header with the tags the index reads,
 * and an opaque payload. rpm itself would also want a header-immutable region and a
 * cpio payload; the registry never reads either, and test/fixtures/os-packages.ts holds a
 * package made by rpmbuild for the parser's own tests.
 */
import { concatBytes } from "./archives";

const enc = new TextEncoder();
type Entry = { tag: number; type: 4 | 6 | 8 | 9; value: string | string[] | number[] };

function header(entries: Entry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  const data: number[] = [];
  const index = new Uint8Array(sorted.length * 16);
  const iv = new DataView(index.buffer);
  sorted.forEach((e, i) => {
    if (e.type === 4) while (data.length % 4) data.push(0);
    const offset = data.length;
    let count = 1;
    if (e.type === 6) data.push(...enc.encode(e.value as string), 0);
    else if (e.type === 8 || e.type === 9) {
      const list = e.value as string[];
      count = list.length;
      for (const s of list) data.push(...enc.encode(s), 0);
    } else {
      const list = e.value as number[];
      count = list.length;
      for (const n of list) data.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
    }
    iv.setUint32(i * 16, e.tag);
    iv.setUint32(i * 16 + 4, e.type);
    iv.setUint32(i * 16 + 8, offset);
    iv.setUint32(i * 16 + 12, count);
  });
  const pre = new Uint8Array(16);
  pre.set([0x8e, 0xad, 0xe8, 0x01]);
  new DataView(pre.buffer).setUint32(8, sorted.length);
  new DataView(pre.buffer).setUint32(12, data.length);
  return concatBytes(pre, index, new Uint8Array(data));
}

export interface RpmInput {
  name: string;
  version: string;
  release?: string;
  epoch?: number;
  arch?: string;
  summary?: string;
  requires?: { name: string; flags: number; version: string }[];
  files?: string[];
  payload?: string;
}

export async function buildRpm(p: RpmInput): Promise<Uint8Array> {
  const release = p.release ?? "1";
  const arch = p.arch ?? "x86_64";
  const files = p.files ?? [`/usr/bin/${p.name}`, `/usr/share/doc/${p.name}/README`];
  const dirs = [...new Set(files.map((f) => f.slice(0, f.lastIndexOf("/") + 1)))];
  const requires = p.requires ?? [{ name: "bash", flags: 12, version: "5.0" }];
  const entries: Entry[] = [
    { tag: 1000, type: 6, value: p.name },
    { tag: 1001, type: 6, value: p.version },
    { tag: 1002, type: 6, value: release },
    { tag: 1004, type: 9, value: [p.summary ?? `${p.name} summary`] },
    { tag: 1005, type: 9, value: [`${p.name} built by the test`] },
    { tag: 1006, type: 4, value: [1700000000] },
    { tag: 1007, type: 6, value: "builder.test" },
    { tag: 1009, type: 4, value: [1234] },
    { tag: 1014, type: 6, value: "MIT" },
    { tag: 1016, type: 9, value: ["Unspecified"] },
    { tag: 1021, type: 6, value: "linux" },
    { tag: 1022, type: 6, value: arch },
    { tag: 1030, type: 4, value: files.map(() => 0o100644) },
    { tag: 1037, type: 4, value: files.map(() => 0) },
    { tag: 1044, type: 6, value: `${p.name}-${p.version}-${release}.src.rpm` },
    { tag: 1047, type: 8, value: [p.name] },
    { tag: 1112, type: 4, value: [8] },
    { tag: 1113, type: 8, value: [`${p.epoch ? `${p.epoch}:` : ""}${p.version}-${release}`] },
    { tag: 1048, type: 4, value: requires.map((r) => r.flags) },
    { tag: 1049, type: 8, value: requires.map((r) => r.name) },
    { tag: 1050, type: 8, value: requires.map((r) => r.version) },
    { tag: 1116, type: 4, value: files.map((f) => dirs.indexOf(f.slice(0, f.lastIndexOf("/") + 1))) },
    { tag: 1117, type: 8, value: files.map((f) => f.slice(f.lastIndexOf("/") + 1)) },
    { tag: 1118, type: 8, value: dirs },
    { tag: 1124, type: 6, value: "cpio" },
  ];
  if (p.epoch) entries.push({ tag: 1003, type: 4, value: [p.epoch] });
  const main = header(entries);
  const payload = enc.encode(p.payload ?? `${p.name}-${p.version}`);
  const sha256 = [...new Uint8Array(await crypto.subtle.digest("SHA-256", main))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const sig = header([
    { tag: 273, type: 6, value: sha256 },
    { tag: 1000, type: 4, value: [main.length + payload.length] },
  ]);
  const lead = new Uint8Array(96);
  lead.set([0xed, 0xab, 0xee, 0xdb, 3, 0, 0, 0, 0, 1]);
  lead.set(enc.encode(`${p.name}-${p.version}-${release}`).subarray(0, 65), 10);
  lead.set([0, 1, 0, 5], 76);
  const pad = new Uint8Array((8 - (sig.length % 8)) % 8);
  return concatBytes(lead, sig, pad, main, payload);
}
