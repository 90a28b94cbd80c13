/**
 * Route declaration helper: every governance route gets its security (the bearer scheme,
 * or none for a `public` route) and the standard error responses, and every operation
 * a stable operationId (`operationIdOf`, filled in by the OpenAPI document unless the
 * route names one), so the document is complete without repeating them in each file and
 * a new route cannot forget them (test/contract/openapi.test.ts and `npm run
 * lint:openapi` check it).
 *
 * Invariant: credentials are checked before a request is validated (or its body read).
 * A route that needs credentials (apiRoute's default security) gets `credentialsFirst`,
 * which runs before the validators: an anonymous write (POST/PUT/PATCH/DELETE) is
 * refused with 401 before anything is read; an anonymous read is let through (public
 * repos may be read anonymously) but marked, so that if it turns out invalid the
 * validation hook answers 401, not 400 (api/index.ts). Invalid credentials never get
 * here: the scope middleware refuses them first. Public routes (`security: []`) don't.
 */
import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/types";
import { ErrorSchema } from "./schemas";

const err = (description: string) => ({ description, content: { "application/json": { schema: ErrorSchema } } });

export const STANDARD_ERRORS = {
  400: err("Invalid request (InvalidRequest, Invalid…)"),
  401: err("No or invalid credentials (Unauthorized…)"),
  403: err("The credential does not allow this (Forbidden…)"),
  404: err("Not found (NotFound…)"),
  409: err("Conflict with the current state (Conflict…)"),
  500: err("Internal error"),
} as const;

/** A public route needs no credentials, but a bad one is still refused (http/context.ts). */
const PUBLIC_ERRORS = {
  401: err("An invalid credential was sent (none is needed; a wrong one is refused) (Unauthorized…)"),
  500: err("Internal error"),
} as const;

type ApiRouteConfig = Omit<RouteConfig, "path"> & { path: string };

const READS = new Set(["GET", "HEAD"]);

/** See the module invariant. */
export const credentialsFirst = createMiddleware<AppEnv>(async (c, next) => {
  const access = c.var.scope.access;
  if (access.principal.type === "anonymous") {
    if (!READS.has(c.req.method)) throw access.denial("write");
    c.set("anonymousOnProtectedRoute", true);
  }
  await next();
});

/** Whether a route's security lets callers without credentials in (`[]`, or an empty alternative). */
const isPublic = (security: RouteConfig["security"]) => !security || security.length === 0 || security.some((s) => Object.keys(s).length === 0);

export function apiRoute<R extends ApiRouteConfig>(config: R) {
  const security = config.security ?? [{ bearerAuth: [] }];
  const own = config.middleware === undefined ? [] : Array.isArray(config.middleware) ? config.middleware : [config.middleware];
  return createRoute({
    ...config,
    security,
    middleware: isPublic(security) ? own : [credentialsFirst, ...own],
    responses: { ...STANDARD_ERRORS, ...config.responses },
  });
}

/** A route anyone may call (public config, health): `security: []`. */
export function publicRoute<R extends ApiRouteConfig>(config: R) {
  return createRoute({ ...config, security: [], responses: { ...PUBLIC_ERRORS, ...config.responses } });
}

export const json = <T>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T>(schema: T) => ({
  body: { required: true, content: { "application/json": { schema } } },
});

const singular = (word: string) => (word.endsWith("ies") ? `${word.slice(0, -3)}y` : word.endsWith("s") && !word.endsWith("ss") ? word.slice(0, -1) : word);
const pascal = (word: string) => word.split(/[-_]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("");

/**
 * A camelCase operationId from method and path, stable as long as the route is:
 * `GET /api/v1/projects` → listProjects, `POST …/projects` → createProject,
 * `GET …/projects/{id}` → getProject, `PATCH` → update…, `PUT` → set…, `DELETE` →
 * delete…, and a POST to a verb (`…/webhooks/{id}/ping`) → pingWebhook. Resources
 * before the last are singular (`…/repos/{id}/packages` → listRepoPackages).
 */
export function operationIdOf(method: string, path: string): string {
  const parts = path.replace(/^\/api(\/v1|\/admin)?(?=\/)/, "").split("/").filter(Boolean);
  const item = parts.at(-1)?.startsWith("{") ?? false;
  const words = parts.filter((p) => !p.startsWith("{"));
  const last = words.at(-1) ?? "root";
  const plural = last.endsWith("s") && !item;
  const m = method.toLowerCase();
  let verb: string;
  let nouns = words.map(singular);
  if (m === "get") verb = plural ? "list" : "get";
  else if (m === "post" && !item && !plural && words.length > 1) [verb, nouns] = [last, nouns.slice(0, -1)]; // an action
  else verb = { post: "create", patch: "update", put: "set", delete: "delete" }[m] ?? m;
  if (verb === "list") nouns[nouns.length - 1] = last;
  return verb + nouns.map(pascal).join("");
}
