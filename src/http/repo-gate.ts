/**
 * The gate of every repo-addressed protocol route: `/<prefix>/<project>/<repo>/<rest…>`.
 * It parses the path once and puts a `RepoTarget` on the context; handlers open the
 * repo with the rights their operation needs and read the rest of the path from it.
 *
 * Invariants:
 * - `rest` is the raw path after `<repo>/` (still percent-encoded, "" at the repo root):
 *   each protocol decodes it with its own grammar, so an encoded `/` inside a name is
 *   never taken for a separator. It is cut from the URL string as sent: `new URL()`
 *   would resolve dot segments (`a/../b` → `b`, `%2e%2e` counts as `..`) and hand the
 *   protocol a path the client never wrote, which its grammar could no longer refuse.
 * - Opening goes through `openRepo` with the format's repo formats only, so a request
 *   never reaches a repo of another format (it is a 404 or, for anonymous callers, 401).
 * - The action is chosen by the handler, not by the HTTP method (a cargo yank is a
 *   DELETE that needs `write`, an npm unpublish a DELETE that needs `delete`).
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./types";
import { openRepo } from "../services/projects";
import type { RepoFormat } from "../core/vocabulary";
import { invalid } from "../core/errors";

export function repoGate(prefix: string, repoFormats: readonly RepoFormat[]) {
  return createMiddleware<AppEnv>(async function repoGate(c, next) {
    const segments = rawPathname(c.req.url).slice(prefix.length + 1).split("/");
    const [project = "", repo = ""] = segments.map((s, i) => (i < 2 ? safeDecode(s) : s));
    const scope = c.var.scope;
    c.set("target", {
      project,
      repo,
      rest: segments.slice(2).join("/"),
      url: `${scope.baseUrl}${prefix}/${project}/${repo}`,
      open: (action) => openRepo(scope, project, repo, action, repoFormats),
    });
    await next();
  });
}

/** The path of a URL as spelt, up to its query: no dot segment resolved, nothing decoded. */
export function rawPathname(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "").split(/[?#]/, 1)[0] || "/";
}

export function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The path after `<repo>/`, percent-decoded whole: for protocols whose names never hold
 * an encoded `/` (apt's dists/ and pool/, dnf's repodata/ and Packages/).
 */
export function decodedRest(target: { rest: string }): string {
  try {
    return decodeURIComponent(target.rest);
  } catch {
    throw invalid("Path", "invalid percent-encoding");
  }
}
