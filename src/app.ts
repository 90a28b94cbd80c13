/**
 * Builds the Hono app: request id → scope (auth) → routes, with one error renderer
 * per protocol chosen by path prefix, so an error thrown anywhere (middleware
 * included) reaches the client in the format its client understands, after any request
 * body nothing read (a refused upload) has been drained, so the client reads the answer.
 * A request body that broke off is logged here, once per request (one warning line).
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "./http/types";
import { requestId, scopeMiddleware } from "./http/context";
import { requestBodyLimit } from "./http/body";
import { d1Sessions } from "./http/consistency";
import { asRegistryError, drainUnreadBody, renderApiError, type ErrorRenderer } from "./http/errors";
import { RegistryError } from "./core/errors";
import { allowedMethodsOf } from "./http/allowed-methods";
import { BODY_BROKEN } from "./core/block-reader";
import { buildApi } from "./api";
import { internalRoutes } from "./api/internal";
import { docsRoutes } from "./api/docs";
import { mountFormats, planRequest, rendererForPath } from "./formats";
import { signInRoutes, uiRoutes } from "./ui";

/** The codes of a request body that broke off (an OCI upload session's says where to resume). */
const BROKE_OFF = new Set<string>([BODY_BROKEN, "InvalidUploadInterrupted"]);

export function buildApp() {
  const app = new Hono<AppEnv>();
  const rendererFor = (path: string): ErrorRenderer => rendererForPath(path) ?? renderApiError;

  const answer = async (err: unknown, c: Context<AppEnv>) => {
    await drainUnreadBody(c.req.raw);
    const e = asRegistryError(err);
    if (BROKE_OFF.has(e.code)) console.warn(`request body broke off: ${c.req.method} ${c.req.path} → ${e.status} ${e.code}: ${e.message} (request ${c.get("requestId")})`);
    return rendererFor(c.req.path)(e, c);
  };
  app.onError(answer);
  const allowedMethods = allowedMethodsOf(app);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      return answer(new RegistryError("MethodNotAllowed", `${c.req.method} is not allowed on ${c.req.path}`, { headers: { Allow: allowed.join(", ") } }), c);
    }
    return answer(new RegistryError("NotFoundRoute", `no route for ${c.req.method} ${c.req.path}`), c);
  });

  app.use(requestId);
  app.use(d1Sessions);
  app.use(scopeMiddleware(planRequest));
  app.use(requestBodyLimit);
  app.route("/", docsRoutes);
  app.route("/", buildApi());
  app.route("/internal", internalRoutes);
  app.route("/", signInRoutes);
  app.route("/", uiRoutes);
  mountFormats(app);
  return app;
}
