/**
 * Renders a RegistryError (or anything thrown) as a response in the caller's protocol.
 * Invariants: every error response carries the request id; an unexpected exception
 * becomes `InternalError` with a plain message (its detail goes to the log only), but a
 * client error Hono raises itself (malformed JSON → 400, wrong media type → 415) keeps
 * its status; a 401 always carries the challenge its protocol expects; a request body
 * nothing read is drained before the answer (drainUnreadBody).
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { RegistryError, isRegistryError, type ErrorCode } from "../core/errors";
import { REFUSED_BODY_MAX, drain } from "../core/block-reader";
import type { AppEnv } from "./types";

export type ErrorRenderer = (err: RegistryError, c: Context<AppEnv>) => Response;

/** Codes for the client errors Hono itself raises (malformed JSON, wrong media type, …). */
const HTTP_EXCEPTION_CODES: Record<number, ErrorCode> = {
  400: "InvalidRequest",
  401: "UnauthorizedCredentialsRequired",
  403: "ForbiddenAction",
  404: "NotFoundRoute",
  405: "MethodNotAllowed",
  413: "PayloadTooLarge",
  415: "UnsupportedMediaType",
};

export function asRegistryError(err: unknown): RegistryError {
  if (isRegistryError(err)) return err;
  const status = (err as { status?: number })?.status;
  if (status === 404) return new RegistryError("NotFoundRoute", "no such route");
  if (err instanceof HTTPException && HTTP_EXCEPTION_CODES[err.status]) {
    return new RegistryError(HTTP_EXCEPTION_CODES[err.status]!, err.message || "the request is not valid", { cause: err });
  }
  console.error("unhandled error", err);
  return new RegistryError("InternalError", "an internal error occurred; quote the request id when reporting it");
}

/**
 * Reads to the end (up to REFUSED_BODY_MAX) a request body that nothing read before the
 * request failed: answering while megabytes are still arriving, then closing, makes the
 * client see a broken connection instead of the error (an upload with bad credentials,
 * a PUT by a reader, an OCI chunk to an unknown upload, a body over a size cap). A body
 * already read, or handed on (an OCI chunk given to its upload session, which drains
 * what it refuses), is left alone; one that declares more than REFUSED_BODY_MAX is
 * cancelled at once (reading it would not save the answer).
 */
export async function drainUnreadBody(req: Request): Promise<void> {
  if (!req.body || req.bodyUsed) return;
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > REFUSED_BODY_MAX) await req.body.cancel().catch(() => undefined);
  else await drain(req.body, REFUSED_BODY_MAX);
}

export function withHeaders(res: Response, err: RegistryError, extra: Record<string, string> = {}): Response {
  for (const [k, v] of Object.entries({ ...extra, ...(err.headers ?? {}) })) res.headers.set(k, v);
  return res;
}

/** The governance API's envelope: `{"error": {"code", "message", "request_id"}}`. */
export const renderApiError: ErrorRenderer = (err, c) => {
  const body: Record<string, unknown> = { code: err.code, message: err.message, request_id: c.get("requestId") };
  if (err.detail !== undefined) body.detail = err.detail;
  const res = c.json({ error: body }, err.status as 400);
  return withHeaders(res, err, err.status === 401 ? { "WWW-Authenticate": 'Bearer realm="OrbitalReg"' } : {});
};

/**
 * The why-blocked envelope of a 451 (`block_id`, `reason`, `customer_message`,
 * `blocked_until`, `public_url`: reference 000), carried as the error's detail; null for
 * any other error. JSON renderers add its fields to their body.
 */
export function whyBlocked(err: RegistryError): Record<string, unknown> | null {
  return err.status === 451 && typeof err.detail === "object" && err.detail !== null ? (err.detail as Record<string, unknown>) : null;
}

/** The envelope as `key: value` lines, after the message, for plain-text protocols. */
export function whyBlockedText(err: RegistryError): string {
  const e = whyBlocked(err);
  return e ? `\n${Object.entries(e).map(([k, v]) => `${k}: ${v ?? ""}`).join("\n")}\n` : "";
}

/** Plain-text errors with a Basic challenge: what pip, twine, Maven, Go and curl understand. */
export const renderPlainError: ErrorRenderer = (err, c) => {
  const res = c.text(`${err.message}\n${whyBlockedText(err)}`, err.status as 400);
  return withHeaders(res, err, err.status === 401 ? { "WWW-Authenticate": 'Basic realm="OrbitalReg"' } : {});
};
