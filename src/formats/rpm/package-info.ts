/**
 * What the repository metadata says about one RPM, taken from its header: name, EVR,
 * arch, descriptive fields, dependencies (with rpm's sense flags), files and changelog.
 *
 * Invariants: a package passes only with a name, version, release and arch that are
 * safe in a file name and in XML (no control characters, no `/`); a source package's
 * arch is `src` (as createrepo reports it); only the newest MAX_CHANGELOGS changelog
 * entries are kept (createrepo's --changelog-limit).
 */
import { invalid } from "../../core/errors";
import { TAG, num, nums, str, strs, type RpmFile } from "./header";

export const MAX_CHANGELOGS = 10;
const SAFE = /^[A-Za-z0-9._+~^-]+$/;
const NAME = /^[A-Za-z0-9._+-]+$/;

export interface Dependency {
  name: string;
  flags: number;
  version: string;
}

export interface RpmFileEntry {
  path: string;
  type: "file" | "dir" | "ghost";
}

export interface RpmPackageInfo {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  summary: string;
  description: string;
  url: string;
  license: string;
  vendor: string;
  group: string;
  packager: string;
  buildHost: string;
  sourceRpm: string;
  buildTime: number;
  installedSize: number;
  archiveSize: number;
  headerStart: number;
  headerEnd: number;
  provides: Dependency[];
  requires: Dependency[];
  conflicts: Dependency[];
  obsoletes: Dependency[];
  recommends: Dependency[];
  suggests: Dependency[];
  supplements: Dependency[];
  enhances: Dependency[];
  files: RpmFileEntry[];
  changelogs: { author: string; date: number; text: string }[];
}

const bad = (why: string) => invalid("Rpm", `the package's header is not valid: ${why}`);
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const RPMFILE_GHOST = 1 << 6;

function deps(h: RpmFile["header"], name: number, flags: number, version: number): Dependency[] {
  const names = strs(h, name);
  const f = nums(h, flags);
  const v = strs(h, version);
  return names.map((n, i) => ({ name: n, flags: f[i] ?? 0, version: v[i] ?? "" }));
}

function files(h: RpmFile["header"]): RpmFileEntry[] {
  const base = strs(h, TAG.baseNames);
  const dirs = strs(h, TAG.dirNames);
  const index = nums(h, TAG.dirIndexes);
  const paths = base.length ? base.map((b, i) => `${dirs[index[i] ?? -1] ?? ""}${b}`) : strs(h, TAG.oldFileNames);
  if (base.length && base.some((_, i) => dirs[index[i] ?? -1] === undefined)) throw bad("a file names a directory index that does not exist");
  const modes = nums(h, TAG.fileModes);
  const flags = nums(h, TAG.fileFlags);
  return paths.map((path, i) => ({
    path,
    type: (flags[i] ?? 0) & RPMFILE_GHOST ? "ghost" : ((modes[i] ?? 0) & S_IFMT) === S_IFDIR ? "dir" : "file",
  }));
}

export function packageInfo(rpm: RpmFile): RpmPackageInfo {
  const h = rpm.header;
  const name = str(h, TAG.name) ?? "";
  const version = str(h, TAG.version) ?? "";
  const release = str(h, TAG.release) ?? "";
  const sourceRpm = str(h, TAG.sourceRpm) ?? "";
  const arch = rpm.source || !sourceRpm ? "src" : str(h, TAG.arch) ?? "";
  if (!NAME.test(name)) throw bad(`Name '${name}' is not a valid package name`);
  if (!SAFE.test(version)) throw bad(`Version '${version}' is not valid`);
  if (!SAFE.test(release)) throw bad(`Release '${release}' is not valid`);
  if (!NAME.test(arch)) throw bad(`Arch '${arch}' is not valid`);
  const times = nums(h, TAG.changelogTime);
  const authors = strs(h, TAG.changelogName);
  const texts = strs(h, TAG.changelogText);
  return {
    name,
    epoch: num(h, TAG.epoch) ?? 0,
    version,
    release,
    arch,
    summary: str(h, TAG.summary) ?? "",
    description: str(h, TAG.description) ?? "",
    url: str(h, TAG.url) ?? "",
    license: str(h, TAG.license) ?? "",
    vendor: str(h, TAG.vendor) ?? "",
    group: str(h, TAG.group) ?? "",
    packager: str(h, TAG.packager) ?? "",
    buildHost: str(h, TAG.buildHost) ?? "",
    sourceRpm,
    buildTime: num(h, TAG.buildTime) ?? 0,
    installedSize: num(h, TAG.longSize) ?? num(h, TAG.size) ?? 0,
    archiveSize: num(rpm.signature, 271) ?? num(rpm.signature, 1007) ?? num(h, TAG.archiveSize) ?? 0,
    headerStart: h.start,
    headerEnd: h.end,
    provides: deps(h, TAG.provideName, TAG.provideFlags, TAG.provideVersion),
    requires: deps(h, TAG.requireName, TAG.requireFlags, TAG.requireVersion),
    conflicts: deps(h, TAG.conflictName, TAG.conflictFlags, TAG.conflictVersion),
    obsoletes: deps(h, TAG.obsoleteName, TAG.obsoleteFlags, TAG.obsoleteVersion),
    recommends: deps(h, TAG.recommendName, TAG.recommendFlags, TAG.recommendVersion),
    suggests: deps(h, TAG.suggestName, TAG.suggestFlags, TAG.suggestVersion),
    supplements: deps(h, TAG.supplementName, TAG.supplementFlags, TAG.supplementVersion),
    enhances: deps(h, TAG.enhanceName, TAG.enhanceFlags, TAG.enhanceVersion),
    files: files(h),
    changelogs: times
      .map((date, i) => ({ date, author: authors[i] ?? "", text: texts[i] ?? "" }))
      .sort((a, b) => b.date - a.date)
      .slice(0, MAX_CHANGELOGS),
  };
}

/** `[epoch:]version-release`: the package model's version string (epoch only when set). */
export const evrString = (p: { epoch: number; version: string; release: string }) => `${p.epoch ? `${p.epoch}:` : ""}${p.version}-${p.release}`;

/** Where the package lives in the repo (createrepo's layout): `Packages/<first letter>/<nevra>.rpm`. */
export const locationOf = (p: { name: string; version: string; release: string; arch: string }) =>
  `Packages/${p.name[0]!.toLowerCase()}/${p.name}-${p.version}-${p.release}.${p.arch}.rpm`;
