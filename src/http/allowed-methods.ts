/**
 * Which methods a path accepts, from the app's own route table, so a request with a
 * method no route takes on an existing path answers 405 with `Allow` (RFC 9110 §15.5.6)
 * instead of 404.
 *
 * Invariants:
 * - Only routes registered for one method count: `all()` routes and middleware accept
 *   every method and decide for themselves (the npm and OCI routers answer their own 405).
 * - A path no route matches gets no methods (the caller answers 404).
 * - GET implies HEAD (Hono answers HEAD with the GET route).
 */
import type { Hono } from "hono";

interface Matcher {
  pattern: RegExp;
  method: string;
}

/** `/repos/:id/x/*` → `^/repos/[^/]+/x(?:/.*)?$`; `:name{re}` keeps its own pattern. */
function compile(path: string): RegExp {
  let out = "";
  for (const part of path.split("/").slice(1)) {
    if (part === "*") {
      out += "(?:/.*)?";
      continue;
    }
    const param = part.match(/^:\w+(?:\{(.+)\})?(\?)?$/);
    if (param) out += param[2] ? `(?:/(?:${param[1] ?? "[^/]+"}))?` : `/(?:${param[1] ?? "[^/]+"})`;
    else out += `/${part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`;
  }
  return new RegExp(`^${out || "/"}/?$`);
}

export function allowedMethodsOf(app: Hono<any>): (path: string) => string[] {
  let matchers: Matcher[] | null = null;
  return (path) => {
    matchers ??= app.routes.filter((r) => r.method !== "ALL").map((r) => ({ pattern: compile(r.path), method: r.method }));
    const methods = new Set(matchers.filter((m) => m.pattern.test(path)).map((m) => m.method));
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods].sort();
  };
}
