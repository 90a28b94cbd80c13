/** Hono typing shared by every route: bindings plus what middleware puts on the context. */
import type { Env } from "../env";
import type { Scope } from "../services/scope";
import type { OpenedRepo } from "../services/projects";
import type { Action } from "../auth/principal";

export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    scope: Scope;
    /** Set by the repo gate on repo-addressed protocol routes (formats other than OCI). */
    target: RepoTarget;
    /** Set by api/route.ts credentialsFirst: an anonymous caller on a route that names a security scheme. */
    anonymousOnProtectedRoute?: boolean;
  };
};

/** A repo-addressed protocol request, as the repo gate (repo-gate.ts) parsed it. */
export interface RepoTarget {
  project: string;
  repo: string;
  /** The raw (percent-encoded) path after `<repo>/`; "" for the repo root. */
  rest: string;
  /** `<origin><prefix>/<project>/<repo>`, without a trailing slash. */
  url: string;
  open(action: Action): Promise<OpenedRepo>;
}
