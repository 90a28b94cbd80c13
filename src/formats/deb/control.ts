/**
 * Debian control data (deb-control(5)): the `control` file of a binary package, and the
 * stanzas of the Packages and Release files built from it.
 *
 * Invariants:
 * - Fields keep their order and exact text (continuation lines included), so a Packages
 *   stanza repeats what the package says about itself; field names are matched
 *   case-insensitively, as dpkg does.
 * - A control file passes only with a valid Package name, Version and Architecture
 *   (deb-version(7) syntax, Debian policy §5.6.1 names), one stanza, and no field that
 *   the archive writes itself (Filename, Size, checksums).
 */
import { invalid } from "../../core/errors";

export interface ControlField {
  name: string;
  /** The value as written: the first line's text, then continuation lines with their leading space. */
  value: string;
}

export interface DebControl {
  fields: ControlField[];
  package: string;
  version: string;
  architecture: string;
}

const bad = (why: string) => invalid("DebControl", `the package's control file is not valid: ${why}`);

export const PACKAGE_NAME = /^[a-z0-9][a-z0-9.+-]+$/;
/** [epoch:]upstream[-revision] (deb-version(7)). */
export const DEB_VERSION = /^(?:(\d+):)?([0-9][A-Za-z0-9.+~:-]*?)(?:-([A-Za-z0-9.+~]+))?$/;
export const ARCHITECTURE = /^[a-z0-9][a-z0-9-]*$/;
/** Fields the archive computes: a package that carries them is refused rather than trusted. */
const ARCHIVE_FIELDS = new Set(["filename", "size", "md5sum", "sha1", "sha256", "sha512"]);

export function parseStanzas(text: string): ControlField[][] {
  const stanzas: ControlField[][] = [];
  let current: ControlField[] = [];
  for (const raw of text.replace(/\r\n/g, "\n").split("\n")) {
    if (raw.startsWith("#")) continue;
    if (raw.trim() === "") {
      if (current.length) stanzas.push(current);
      current = [];
      continue;
    }
    if (raw.startsWith(" ") || raw.startsWith("\t")) {
      const last = current[current.length - 1];
      if (!last) throw bad("a continuation line comes before any field");
      last.value += `\n${raw}`;
      continue;
    }
    const colon = raw.indexOf(":");
    if (colon <= 0) throw bad(`'${raw.slice(0, 40)}' is not a field`);
    const name = raw.slice(0, colon);
    if (!/^[!-9;-~][!-9;-~]*$/.test(name) || name.startsWith("-") || name.startsWith("#")) throw bad(`'${name}' is not a field name`);
    if (current.some((f) => f.name.toLowerCase() === name.toLowerCase())) throw bad(`field ${name} appears twice`);
    current.push({ name, value: raw.slice(colon + 1).trim() });
  }
  if (current.length) stanzas.push(current);
  return stanzas;
}

export const fieldOf = (fields: ControlField[], name: string) => fields.find((f) => f.name.toLowerCase() === name.toLowerCase())?.value;

export function parseControl(text: string): DebControl {
  const stanzas = parseStanzas(text);
  if (stanzas.length !== 1) throw bad(`expected one stanza, found ${stanzas.length}`);
  const fields = stanzas[0]!;
  const pkg = fieldOf(fields, "Package") ?? "";
  const version = fieldOf(fields, "Version") ?? "";
  const architecture = fieldOf(fields, "Architecture") ?? "";
  if (!PACKAGE_NAME.test(pkg)) throw bad(`Package '${pkg}' is not a valid package name`);
  if (!DEB_VERSION.test(version) || version.endsWith("-") || (version.includes(":") && !/^\d+:/.test(version))) throw bad(`Version '${version}' is not a valid Debian version`);
  if (!ARCHITECTURE.test(architecture)) throw bad(`Architecture '${architecture}' is not a single architecture`);
  const computed = fields.find((f) => ARCHIVE_FIELDS.has(f.name.toLowerCase()));
  if (computed) throw bad(`field ${computed.name} is set by the archive, not the package`);
  for (const f of fields) if (f.value.includes("\n\n")) throw bad(`field ${f.name} has an empty continuation line`);
  return { fields, package: pkg, version, architecture };
}

export const renderStanza = (fields: ControlField[]) => fields.map((f) => `${f.name}: ${f.value}`.replace(/: \n/, ":\n")).join("\n") + "\n";

/** The version without its epoch, as Debian spells it in file names. */
export const fileVersion = (version: string) => version.replace(/^\d+:/, "");
