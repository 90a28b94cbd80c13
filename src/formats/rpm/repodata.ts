/**
 * dnf's repository metadata (the createrepo "repodata/" format): primary.xml.gz,
 * filelists.xml.gz, other.xml.gz and repomd.xml naming them with their checksums.
 *
 * Each package's `<package>` element of each document is rendered once, at upload, and
 * kept with the file (its metadata); a build concatenates them, so a build costs one read
 * of the repo and the hashing, not a parse of every package.
 *
 * Invariants:
 * - Every data file is named `repodata/<sha256 of its .gz>-<type>.xml.gz`, so a name
 *   always means one content (dnf may fetch it after the index moved on), and repomd.xml
 *   lists its sha256 checksum, open-checksum, size, open-size and timestamp exactly.
 * - Text is XML-escaped and characters XML 1.0 forbids are dropped.
 * - Dependencies follow createrepo_c: `rpmlib(…)` requirements are left out, a requirement
 *   flagged for a scriptlet (pre/post/preun/postun, prereq) carries `pre="1"`, and primary
 *   lists only files under /etc/, in a bin/ directory, or /usr/lib/sendmail.
 */
import { gzip } from "../../core/archive/decompress";
import { hex } from "../../core/ids";
import type { IndexDocument } from "../../services/artifacts";
import type { Dependency, RpmPackageInfo } from "./package-info";

export interface RpmFragments {
  primary: string;
  filelists: string;
  other: string;
}

const esc = (s: string) =>
  s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");

const FLAGS: Record<number, string> = { 2: "LT", 4: "GT", 8: "EQ", 10: "LE", 12: "GE" };
const SENSE_MASK = 0x0e;
const PRE_MASK = (1 << 6) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);
const RPMLIB = /^rpmlib\(/;

function evrAttrs(evr: string): string {
  const m = /^(?:(\d+):)?([^-]*)(?:-(.*))?$/.exec(evr)!;
  return ` epoch="${esc(m[1] ?? "0")}" ver="${esc(m[2] ?? "")}"${m[3] !== undefined ? ` rel="${esc(m[3])}"` : ""}`;
}

function entries(tag: string, list: Dependency[], requires = false): string {
  const kept = requires ? list.filter((d) => !RPMLIB.test(d.name)) : list;
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const d of kept) {
    const flags = FLAGS[d.flags & SENSE_MASK];
    const pre = requires && d.flags & PRE_MASK ? ` pre="1"` : "";
    const line = `      <rpm:entry name="${esc(d.name)}"${flags && d.version ? ` flags="${flags}"${evrAttrs(d.version)}` : ""}${pre}/>`;
    if (seen.has(line)) continue;
    seen.add(line);
    lines.push(line);
  }
  return lines.length ? `    <rpm:${tag}>\n${lines.join("\n")}\n    </rpm:${tag}>\n` : "";
}

const isPrimaryFile = (path: string) => path.startsWith("/etc/") || path.includes("bin/") || path === "/usr/lib/sendmail";
const fileLine = (indent: string, f: RpmPackageInfo["files"][number]) => `${indent}<file${f.type === "file" ? "" : ` type="${f.type}"`}>${esc(f.path)}</file>`;
const versionTag = (p: RpmPackageInfo) => `<version epoch="${p.epoch}" ver="${esc(p.version)}" rel="${esc(p.release)}"/>`;

export function renderFragments(p: RpmPackageInfo, file: { sha256: string; size: number; location: string; uploadedAt: number }): RpmFragments {
  const primaryFiles = p.files.filter((f) => isPrimaryFile(f.path)).map((f) => fileLine("    ", f));
  const primary = `<package type="rpm">
  <name>${esc(p.name)}</name>
  <arch>${esc(p.arch)}</arch>
  ${versionTag(p)}
  <checksum type="sha256" pkgid="YES">${file.sha256}</checksum>
  <summary>${esc(p.summary)}</summary>
  <description>${esc(p.description)}</description>
  <packager>${esc(p.packager)}</packager>
  <url>${esc(p.url)}</url>
  <time file="${Math.floor(file.uploadedAt / 1000)}" build="${p.buildTime}"/>
  <size package="${file.size}" installed="${p.installedSize}" archive="${p.archiveSize}"/>
  <location href="${esc(file.location)}"/>
  <format>
    <rpm:license>${esc(p.license)}</rpm:license>
    <rpm:vendor>${esc(p.vendor)}</rpm:vendor>
    <rpm:group>${esc(p.group)}</rpm:group>
    <rpm:buildhost>${esc(p.buildHost)}</rpm:buildhost>
    <rpm:sourcerpm>${esc(p.sourceRpm)}</rpm:sourcerpm>
    <rpm:header-range start="${p.headerStart}" end="${p.headerEnd}"/>
${entries("provides", p.provides)}${entries("requires", p.requires, true)}${entries("conflicts", p.conflicts)}${entries("obsoletes", p.obsoletes)}${entries("suggests", p.suggests)}${entries("enhances", p.enhances)}${entries("recommends", p.recommends)}${entries("supplements", p.supplements)}${primaryFiles.length ? `${primaryFiles.join("\n")}\n` : ""}  </format>
</package>
`;
  const head = `<package pkgid="${file.sha256}" name="${esc(p.name)}" arch="${esc(p.arch)}">\n  ${versionTag(p)}\n`;
  const filelists = `${head}${p.files.map((f) => `${fileLine("  ", f)}\n`).join("")}</package>\n`;
  const other = `${head}${p.changelogs
    .slice()
    .reverse()
    .map((c) => `  <changelog author="${esc(c.author)}" date="${c.date}">${esc(c.text)}</changelog>\n`)
    .join("")}</package>\n`;
  return { primary, filelists, other };
}

const XML_HEAD = `<?xml version="1.0" encoding="UTF-8"?>\n`;
const ROOTS = {
  primary: (n: number) => [`${XML_HEAD}<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${n}">\n`, "</metadata>\n"],
  filelists: (n: number) => [`${XML_HEAD}<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="${n}">\n`, "</filelists>\n"],
  other: (n: number) => [`${XML_HEAD}<otherdata xmlns="http://linux.duke.edu/metadata/other" packages="${n}">\n`, "</otherdata>\n"],
} as const;

const enc = new TextEncoder();
const sha256 = async (b: Uint8Array) => hex(new Uint8Array(await crypto.subtle.digest("SHA-256", b)));

export interface RepodataSigner {
  detachSign(data: Uint8Array): Promise<string>;
}

/** The repodata/ documents for these packages' fragments, repomd.xml signed. */
export async function buildRepodata(fragments: RpmFragments[], rev: number, now: number, signer: RepodataSigner): Promise<IndexDocument[]> {
  const documents: IndexDocument[] = [];
  const data: string[] = [];
  const timestamp = Math.floor(now / 1000);
  for (const type of ["primary", "filelists", "other"] as const) {
    const [open, close] = ROOTS[type](fragments.length);
    const xml = enc.encode(`${open}${fragments.map((f) => f[type]).join("")}${close}`);
    const gz = await gzip(xml);
    const digest = await sha256(gz);
    const href = `repodata/${digest}-${type}.xml.gz`;
    documents.push({ path: href, bytes: gz, contentType: "application/gzip" });
    data.push(`  <data type="${type}">
    <checksum type="sha256">${digest}</checksum>
    <open-checksum type="sha256">${await sha256(xml)}</open-checksum>
    <location href="${href}"/>
    <timestamp>${timestamp}</timestamp>
    <size>${gz.byteLength}</size>
    <open-size>${xml.byteLength}</open-size>
  </data>
`);
  }
  const repomd = enc.encode(
    `${XML_HEAD}<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">\n  <revision>${rev}</revision>\n${data.join("")}</repomd>\n`,
  );
  documents.push(
    { path: "repodata/repomd.xml", bytes: repomd, contentType: "application/xml" },
    { path: "repodata/repomd.xml.asc", bytes: enc.encode(await signer.detachSign(repomd)), contentType: "application/pgp-signature" },
  );
  return documents;
}
