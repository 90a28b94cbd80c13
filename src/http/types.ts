/** Hono typing shared by every route: bindings plus what middleware puts on the context. */
import type { Env } from "../env";
import type { Scope } from "../services/scope";
import type { RepoTarget } from "./repo-gate";

export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    scope: Scope;
    /** Set by the repo gate on repo-addressed protocol routes (formats other than OCI). */
    target: RepoTarget;
  };
};
