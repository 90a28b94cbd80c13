/**
 * How UI pages read: by calling the governance API in-process, through the very routes,
 * validation and serializers `/api/v1` and `/api/admin` serve, with the page request's
 * own Scope (same principal, same access checks, no second authentication). The UI
 * therefore has no data path of its own; what a page shows is what the API answers.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { AppEnv } from "../http/types";
import type { Scope } from "../services/scope";
import { buildApi } from "../api";
import { asRegistryError, renderApiError } from "../http/errors";

type InnerEnv = { Bindings: AppEnv["Bindings"] & { UI_SCOPE: Scope; UI_REQUEST_ID: string }; Variables: AppEnv["Variables"] };

let inner: Hono<InnerEnv> | null = null;

function innerApp(): Hono<InnerEnv> {
  if (inner) return inner;
  const app = new Hono<InnerEnv>();
  app.onError((err, c) => renderApiError(asRegistryError(err), c as never));
  app.use(async (c, next) => {
    c.set("scope", c.env.UI_SCOPE);
    c.set("requestId", c.env.UI_REQUEST_ID);
    await next();
  });
  app.route("/", buildApi() as never);
  return (inner = app);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** GET (or another method) on the governance API as the page's caller; throws ApiError on a non-2xx answer. */
export async function callApi<T = any>(c: Context<AppEnv>, path: string, init: { method?: string; json?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (init.json !== undefined) headers["Content-Type"] = "application/json";
  const req = new Request(new URL(path, c.req.url), { method: init.method ?? "GET", headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) });
  const res = await innerApp().fetch(req, { ...c.env, UI_SCOPE: c.var.scope, UI_REQUEST_ID: c.get("requestId") }, c.executionCtx);
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, data?.error?.code ?? "Unknown", data?.error?.message ?? `HTTP ${res.status}`);
  return data as T;
}

/** Like callApi, but null instead of throwing on 403/404 (sections a viewer may not see). */
export async function tryApi<T = any>(c: Context<AppEnv>, path: string): Promise<T | null> {
  try {
    return await callApi<T>(c, path);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 403 || e.status === 404)) return null;
    throw e;
  }
}
