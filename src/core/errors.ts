/**
 * One internal error model for every protocol and the governance API.
 *
 * Invariants:
 * - `code` is stable PascalCase and starts with its category (NotFound…, NotAcceptable…, Conflict…,
 *   Invalid…, Unauthorized…, Forbidden…, QuotaExceeded…, Blocked…, Unavailable…, Internal…).
 * - The HTTP status is derived from the category alone, so a code can never drift
 *   away from its status. Protocol renderers (OCI, npm, Cargo, …) translate the same
 *   object into their own wire format; `protocolCode` lets a thrower name the
 *   protocol's own code (e.g. OCI `BLOB_UNKNOWN`) where the category is too coarse.
 */

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
  /** The protocol's own code where it has one (OCI `MANIFEST_UNKNOWN`, …). */
  protocolCode?: string;
  /** Structured detail safe to show to the caller. */
  detail?: unknown;
  /** Extra headers the response must carry (e.g. `Range` on a 416). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class RegistryError extends Error {
  readonly category: ErrorCategory;
  readonly protocolCode?: string;
  readonly detail?: unknown;
  readonly headers?: Record<string, string>;

  constructor(
    readonly code: string,
    message: string,
    options: RegistryErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "RegistryError";
    this.category = categoryOf(code);
    this.protocolCode = options.protocolCode;
    this.detail = options.detail;
    this.headers = options.headers;
  }

  get status(): number {
    return STATUS[this.category];
  }
}

function categoryOf(code: string): ErrorCategory {
  const categories = Object.keys(STATUS) as ErrorCategory[];
  // Longest prefix first so "QuotaExceeded" wins over nothing and "NotFound" is exact.
  const found = categories
    .filter((c) => code.startsWith(c))
    .sort((a, b) => b.length - a.length)[0];
  if (!found) throw new Error(`error code ${code} has no known category prefix`);
  return found;
}

export const isRegistryError = (e: unknown): e is RegistryError => e instanceof RegistryError;

// Small constructors for the errors every layer raises.
export const notFound = (what: string, message = `${what} not found`, o?: RegistryErrorOptions) =>
  new RegistryError(`NotFound${what}`, message, o);
export const conflict = (what: string, message: string, o?: RegistryErrorOptions) =>
  new RegistryError(`Conflict${what}`, message, o);
export const invalid = (what: string, message: string, o?: RegistryErrorOptions) =>
  new RegistryError(`Invalid${what}`, message, o);
export const unauthorized = (message = "authentication required", o?: RegistryErrorOptions) =>
  new RegistryError("UnauthorizedCredentialsRequired", message, o);
export const forbidden = (message = "not allowed", o?: RegistryErrorOptions) =>
  new RegistryError("ForbiddenAction", message, o);
