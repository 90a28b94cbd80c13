/**
 * The OCI error renderer: `{"errors":[{"code","message","detail"}]}` with the
 * distribution-spec codes, and the Bearer challenge on every 401.
 *
 * Invariants:
 * - The OCI code comes from the error-code registry (core/error-codes.ts: a code's own
 *   `oci`, else its category's: Unauthorized → UNAUTHORIZED, Forbidden → DENIED, …).
 * - A 401 carries `WWW-Authenticate: Bearer realm="<origin>/v2/token",service="orbitalreg"`
 *   plus `scope="repository:<name>:<actions>"` on routes that name a repository.
 * - HEAD responses carry the status and headers, never a body.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import { withHeaders, type ErrorRenderer } from "../../http/errors";
import { ociCodeOf } from "../../core/errors";
import { parseOciPath, scopeActions } from "../../services/oci";

export const SERVICE = "orbitalreg";
export const API_VERSION_HEADER = { "Docker-Distribution-API-Version": "registry/2.0" };


export function challenge(c: Context<AppEnv>): string {
  const origin = new URL(c.req.url).origin;
  let value = `Bearer realm="${origin}/v2/token",service="${SERVICE}"`;
  const route = parseOciPath(c.req.path.replace(/^\/v2/, ""));
  if (route && "name" in route) value += `,scope="repository:${route.name}:${scopeActions(c.req.method)}"`;
  else if (route?.kind === "catalog") value += `,scope="registry:catalog:*"`;
  return value;
}

export const renderOciError: ErrorRenderer = (err, c) => {
  const entry: Record<string, unknown> = { code: ociCodeOf(err.code), message: err.message };
  entry.detail = err.detail ?? null;
  const headers: Record<string, string> = { ...API_VERSION_HEADER, "X-Request-Id": c.get("requestId") ?? "" };
  if (err.status === 401) headers["WWW-Authenticate"] = challenge(c);
  const res =
    c.req.method === "HEAD"
      ? new Response(null, { status: err.status, headers: { "Content-Type": "application/json" } })
      : c.json({ errors: [entry] }, err.status as 400);
  return withHeaders(res, err, headers);
};
