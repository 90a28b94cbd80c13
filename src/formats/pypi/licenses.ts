/**
 * The licence a PyPI upload declares, from its core-metadata form fields, as an SPDX
 * expression when possible.
 *
 * Invariants (first that applies):
 * - `license_expression` (PEP 639's License-Expression, Metadata 2.4): as written.
 * - `License ::` trove classifiers: each mapped to its SPDX identifier (the official
 *   classifier names below; others through core/spdx's correction), several joined
 *   with OR (a project listing two licences offers either).
 * - `license` (the free-text field): its first line, if it reads as an SPDX expression;
 *   otherwise that first line as declared (so it is recorded and judged unknown).
 * - None of them: null (none declared).
 */
import { parseLicense } from "../../core/spdx";

const CLASSIFIERS: Record<string, string> = {
  "MIT License": "MIT",
  "MIT No Attribution License (MIT-0)": "MIT-0",
  "Apache Software License": "Apache-2.0",
  "BSD License": "BSD-3-Clause",
  "ISC License (ISCL)": "ISC",
  "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
  "Python Software Foundation License": "PSF-2.0",
  "The Unlicense (Unlicense)": "Unlicense",
  "Zero-Clause BSD (0BSD)": "0BSD",
  "Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
  "Eclipse Public License 1.0 (EPL-1.0)": "EPL-1.0",
  "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
  "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
  "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
  "GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
  "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
  "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
  "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
  "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
  "GNU Affero General Public License v3": "AGPL-3.0-only",
  "GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
  "Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
  "zlib/libpng License": "Zlib",
};

function fromClassifier(classifier: string): string | null {
  const parts = classifier.split("::").map((p) => p.trim());
  if (parts[0] !== "License" || parts.length < 2) return null;
  const name = parts[parts.length - 1]!;
  if (CLASSIFIERS[name]) return CLASSIFIERS[name]!;
  const parsed = parseLicense(name);
  return parsed.kind === "expression" ? parsed.expression : null;
}

export function licenseOfUpload(fields: { licenseExpression?: string; license?: string; classifiers?: string[] }): string | null {
  if (fields.licenseExpression?.trim()) return fields.licenseExpression.trim();
  const fromTrove = [...new Set((fields.classifiers ?? []).map(fromClassifier).filter((id): id is string => id !== null))];
  if (fromTrove.length) return fromTrove.join(" OR ");
  const first = fields.license?.trim().split(/\r?\n/, 1)[0]?.trim();
  if (!first) return null;
  const parsed = parseLicense(first);
  return parsed.kind === "expression" ? parsed.expression : first.slice(0, 200);
}
