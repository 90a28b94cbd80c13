/**
 * How each format turns a package name into its lookup key (the `packages.name`
 * column): the one place the governance API and the protocols agree on it.
 * Invariant: `packageKey(format, key)` is idempotent, so a key looks itself up.
 */

/** PEP 503: runs of `-`, `_`, `.` become one `-`, lowercased. */
export const pep503 = (name: string) => name.replace(/[-_.]+/g, "-").toLowerCase();

export function packageKey(format: string, name: string): string {
  switch (format) {
    case "pypi":
      return pep503(name);
    default:
      return name;
  }
}
