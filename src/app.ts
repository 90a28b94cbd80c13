/**
 * Builds the Hono app: request id → scope (auth) → routes, with one error renderer
 * per protocol chosen by path prefix, so an error thrown anywhere (middleware
 * included) reaches the client in the format its client understands, after any request
 * body nothing read (a refused upload) has been drained, so the client reads the answer.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "./http/types";
import { requestId, scope } from "./http/context";
import { asRegistryError, drainUnreadBody, renderApiError, type ErrorRenderer } from "./http/errors";
import { RegistryError } from "./core/errors";
import { buildApi } from "./api";
import { docsRoutes } from "./api/docs";
import { formatMounts } from "./formats";

export function buildApp() {
  const app = new Hono<AppEnv>();
  const renderers: [string, ErrorRenderer][] = formatMounts.map((m) => [m.prefix, m.renderError]);
  const rendererFor = (path: string): ErrorRenderer =>
    renderers.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`))?.[1] ?? renderApiError;

  const answer = async (err: unknown, c: Context<AppEnv>) => {
    await drainUnreadBody(c.req.raw);
    return rendererFor(c.req.path)(asRegistryError(err), c);
  };
  app.onError(answer);
  app.notFound((c) => answer(new RegistryError("NotFoundRoute", `no route for ${c.req.method} ${c.req.path}`), c));

  app.use(requestId);
  app.use(scope);
  app.route("/", docsRoutes);
  app.route("/", buildApi());
  for (const m of formatMounts) app.route(m.prefix, m.app);
  return app;
}
