/** Hono typing shared by every route: bindings plus what middleware puts on the context. */
import type { Env } from "../env";
import type { Scope } from "../services/scope";

export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    scope: Scope;
  };
};
