/**
 * The licence a POM declares (`<project><licenses><license><name>/<url>`), as an SPDX
 * expression when it can be read as one.
 *
 * Invariants:
 * - Each `<license>` becomes an SPDX identifier: its name when that is one, else its
 *   URL when it is a licence's well-known URL, else its name corrected by core/spdx
 *   ("The Apache Software License, Version 2.0" → Apache-2.0); several are alternatives (`OR`, as a
 *   POM listing two licences offers either). One that reads as neither keeps its name,
 *   so the version's licence is recorded as declared and judged unknown.
 * - No `<licenses>`: null (none declared). The POM is parsed without entities or DTDs.
 */
import { XMLParser } from "fast-xml-parser";
import type { Scope } from "../../services/scope";
import { readBlob } from "../../services/artifacts";
import { parseLicense } from "../../core/spdx";

const MAX_POM_BYTES = 1024 * 1024;

const BY_URL: [RegExp, string][] = [
  [/apache\.org\/licenses\/LICENSE-2\.0/i, "Apache-2.0"],
  [/opensource\.org\/licenses\/MIT/i, "MIT"],
  [/opensource\.org\/licenses\/BSD-3-Clause/i, "BSD-3-Clause"],
  [/opensource\.org\/licenses\/BSD-2-Clause/i, "BSD-2-Clause"],
  [/gnu\.org\/licenses\/gpl-3\.0/i, "GPL-3.0-only"],
  [/gnu\.org\/licenses\/(old-licenses\/)?gpl-2\.0/i, "GPL-2.0-only"],
  [/gnu\.org\/licenses\/lgpl-3\.0/i, "LGPL-3.0-only"],
  [/gnu\.org\/licenses\/(old-licenses\/)?lgpl-2\.1/i, "LGPL-2.1-only"],
  [/gnu\.org\/licenses\/agpl-3\.0/i, "AGPL-3.0-only"],
  [/eclipse\.org\/legal\/epl-2\.0/i, "EPL-2.0"],
  [/eclipse\.org\/legal\/epl-v10/i, "EPL-1.0"],
  [/mozilla\.org\/MPL\/2\.0/i, "MPL-2.0"],
];

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The licence of a POM document's text; null when it declares none. */
export function licenseOfPomText(xml: string): string | null {
  let doc: unknown;
  try {
    doc = new XMLParser({ ignoreAttributes: true, processEntities: false, parseTagValue: false }).parse(xml);
  } catch {
    return null;
  }
  const licenses = asList((doc as { project?: { licenses?: { license?: unknown } } })?.project?.licenses?.license) as { name?: unknown; url?: unknown }[];
  const ids = licenses.map((l) => {
    const name = typeof l?.name === "string" ? l.name.trim() : "";
    const url = typeof l?.url === "string" ? l.url.trim() : "";
    // An SPDX id as the name, then the licence's well-known URL, then the name corrected.
    const exact = parseLicense(name, { correct: false });
    if (exact.kind === "expression") return exact.expression;
    const byUrl = BY_URL.find(([re]) => re.test(url))?.[1];
    if (byUrl) return byUrl;
    const corrected = parseLicense(name);
    return corrected.kind === "expression" ? corrected.expression : name || url;
  });
  const named = ids.filter((id) => id !== "");
  if (!named.length) return null;
  return named.length === 1 ? named[0]! : named.map((id) => (/\s/.test(id) && parseLicense(id).kind === "expression" ? `(${id})` : id)).join(" OR ");
}

/** The licence of a POM just stored in the repo (read back through its link); null past MAX_POM_BYTES. */
export async function licenseOfPom(scope: Scope, repoId: string, blob: { digest: string; size: number }): Promise<string | null> {
  if (blob.size > MAX_POM_BYTES) return null;
  const stored = await readBlob(scope, repoId, blob.digest);
  if (!stored) return null;
  return licenseOfPomText(await new Response(stored.object.body).text());
}
