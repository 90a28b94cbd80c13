/**
 * One internal error model for every protocol and the governance API.
 *
 * Invariants:
 * - `code` is one of the registry's codes (core/error-codes.ts): the constructor and the
 *   helpers below accept only those, so an unregistered code does not compile.
 * - A code is stable PascalCase and starts with its category (NotFound…, NotAcceptable…,
 *   Conflict…, Invalid…, Unauthorized…, Forbidden…, QuotaExceeded…, Blocked…,
 *   Unavailable…, Internal…); the HTTP status is derived from the category alone, so a
 *   code can never drift away from its status.
 * - Protocol renderers (OCI, npm, Cargo, …) translate the same object into their own
 *   wire format through the registry (`ociCodeOf` for OCI); throwers
 *   never name a protocol's code.
 */
import { ERROR_CODES, OCI_DEFAULTS, OCI_FALLBACK, type ErrorCode, type OciCode } from "./error-codes";

export type { ErrorCode } from "./error-codes";

export type ErrorCategory =
  | "Invalid"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "Conflict"
  | "Gone"
  | "PreconditionFailed"
  | "PayloadTooLarge"
  | "UnsupportedMediaType"
  | "RangeNotSatisfiable"
  | "QuotaExceeded"
  | "Blocked"
  | "TooManyRequests"
  | "Unavailable"
  | "Internal";

const STATUS: Record<ErrorCategory, number> = {
  Invalid: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  Conflict: 409,
  Gone: 410,
  PreconditionFailed: 412,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  RangeNotSatisfiable: 416,
  QuotaExceeded: 413,
  Blocked: 451,
  TooManyRequests: 429,
  Unavailable: 503,
  Internal: 500,
};

export interface RegistryErrorOptions {
  /** Structured detail safe to show to the caller. */
  detail?: unknown;
  /** Extra headers the response must carry (e.g. `Range` on a 416). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class RegistryError extends Error {
  readonly category: ErrorCategory;
  readonly detail?: unknown;
  readonly headers?: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: RegistryErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "RegistryError";
    this.category = categoryOf(code);
    this.detail = options.detail;
    this.headers = options.headers;
  }

  get status(): number {
    return STATUS[this.category];
  }
}

export function categoryOf(code: string): ErrorCategory {
  const categories = Object.keys(STATUS) as ErrorCategory[];
  // Longest prefix first so "QuotaExceeded" wins over nothing and "NotFound" is exact.
  const found = categories
    .filter((c) => code.startsWith(c))
    .sort((a, b) => b.length - a.length)[0];
  if (!found) throw new Error(`error code ${code} has no known category prefix`);
  return found;
}

export const isRegistryError = (e: unknown): e is RegistryError => e instanceof RegistryError;

/** HTTP status of a registered code. */
export const statusOf = (code: ErrorCode): number => STATUS[categoryOf(code)];

/** The OCI distribution-spec code a registered code is sent as. */
export const ociCodeOf = (code: ErrorCode): OciCode => (ERROR_CODES[code] as { oci?: OciCode }).oci ?? OCI_DEFAULTS[categoryOf(code)] ?? OCI_FALLBACK;

/** What follows `prefix` in the registered codes: `Suffix<"NotFound">` is "Project" | "Repo" | …. */
export type Suffix<P extends string, C extends string = ErrorCode> = C extends `${P}${infer S}` ? S : never;
/** What precedes `end`: `Stem<Suffix<"Invalid">, "Slug">` is "Project" | "Repo". */
export type Stem<C extends string, End extends string> = C extends `${infer W}${End}` ? W : never;

// Small constructors for the errors every layer raises (call sites name the suffix).
export const notFound = (what: Suffix<"NotFound">, message = `${what} not found`, o?: RegistryErrorOptions) =>
  new RegistryError(`NotFound${what}`, message, o);
export const conflict = (what: Suffix<"Conflict">, message: string, o?: RegistryErrorOptions) =>
  new RegistryError(`Conflict${what}`, message, o);
export const invalid = (what: Suffix<"Invalid">, message: string, o?: RegistryErrorOptions) =>
  new RegistryError(`Invalid${what}`, message, o);
export const unauthorized = (message = "authentication required", o?: RegistryErrorOptions) =>
  new RegistryError("UnauthorizedCredentialsRequired", message, o);
export const forbidden = (message = "not allowed", o?: RegistryErrorOptions) =>
  new RegistryError("ForbiddenAction", message, o);
