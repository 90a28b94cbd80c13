// The error-code registry (src/core/error-codes.ts) is the one list of codes: every
// code the sources use is in it, every code has a category and a description, and the
// committed snapshot pins codes, statuses and OCI codes (the reference promises that
// `code` is stable).
import { describe, expect, it } from "vitest";
import { ERROR_CODES, ERROR_CODE_LIST, OCI_CODES, isErrorCode } from "../../src/core/error-codes";
import { categoryOf, ociCodeOf, statusOf } from "../../src/core/errors";
import snapshot from "./error-codes.snapshot.txt?raw";
import { SOURCES } from "./sources";

const CATEGORY = "Invalid|Unauthorized|Forbidden|NotFound|MethodNotAllowed|NotAcceptable|Conflict|Gone|PreconditionFailed|PayloadTooLarge|UnsupportedMediaType|RangeNotSatisfiable|QuotaExceeded|Blocked|TooManyRequests|Unavailable|Internal";
const HELPER_PREFIX: Record<string, string> = { notFound: "NotFound", conflict: "Conflict", invalid: "Invalid" };

/** Every error code the sources name: literal codes, and the helpers' `prefix + "Suffix"`. */
function codesInSources(): Map<string, string> {
  const found = new Map<string, string>();
  for (const [path, text] of Object.entries(SOURCES)) {
    if (path === "src/core/error-codes.ts") continue;
    for (const m of text.matchAll(new RegExp(`["'\`]((?:${CATEGORY})[A-Za-z0-9]*)["'\`]`, "g"))) found.set(m[1]!, path);
    for (const m of text.matchAll(/\b(notFound|conflict|invalid)\(\s*["'`]([A-Za-z0-9]+)["'`]/g)) found.set(HELPER_PREFIX[m[1]!]! + m[2]!, path);
  }
  return found;
}

describe("error-code registry", () => {
  it("has every code the sources use", () => {
    const used = codesInSources();
    expect(used.size).toBeGreaterThan(100);
    // bare category names are words in messages and switch cases, not codes, unless registered
    const missing = [...used].filter(([code]) => !isErrorCode(code) && !new RegExp(`^(?:${CATEGORY})$`).test(code));
    expect(missing.map(([code, path]) => `${code} (${path})`)).toEqual([]);
  });

  it("gives every code a category, a status and a description", () => {
    for (const code of ERROR_CODE_LIST) {
      expect(() => categoryOf(code), code).not.toThrow();
      expect(statusOf(code), code).toBeGreaterThanOrEqual(400);
      expect(ERROR_CODES[code].description.length, code).toBeGreaterThan(10);
    }
  });

  it("matches the committed snapshot: no code removed, renamed or changed (adding one means adding its line)", () => {
    const pinned = snapshot.split("\n").filter((l) => l && !l.startsWith("#"));
    const current = ERROR_CODE_LIST.map((c) => `${c} ${statusOf(c)} ${ociCodeOf(c)}`);
    expect(pinned.filter((l) => !current.includes(l)), "codes removed or changed").toEqual([]);
    expect(current.filter((l) => !pinned.includes(l)), "codes added without a snapshot line").toEqual([]);
  });

  it("maps codes to OCI codes through the registry, so OCI words stay out of shared code", () => {
    expect(ociCodeOf("InvalidDigestMismatch")).toBe("DIGEST_INVALID");
    expect(ociCodeOf("InvalidBodyLength")).toBe("SIZE_INVALID");
    expect(ociCodeOf("PayloadTooLargeBody")).toBe("SIZE_INVALID");
    expect(ociCodeOf("NotFoundRepo")).toBe("NAME_UNKNOWN");
    expect(ociCodeOf("ForbiddenRepoReadOnly")).toBe("DENIED");
    expect(ociCodeOf("QuotaExceededStorage")).toBe("DENIED");
    expect(ociCodeOf("NotFoundOciRoute")).toBe("NAME_INVALID");
    expect(ociCodeOf("NotFoundRoute")).toBe("UNSUPPORTED");
    const shared = Object.entries(SOURCES).filter(([path]) => /^src\/(storage|services|objects|core|db|auth|http)\//.test(path) && !path.startsWith("src/services/oci/") && path !== "src/core/error-codes.ts");
    const words = new RegExp(`["'\`](?:${OCI_CODES.join("|")})["'\`]`);
    expect(shared.filter(([, text]) => words.test(text)).map(([path]) => path)).toEqual([]);
  });
});
