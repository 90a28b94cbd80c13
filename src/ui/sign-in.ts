/**
 * The browser sign-in flow (not JSON, so not in the OpenAPI document):
 *   GET  /auth/login?provider=<name>&return_to=<path>  → 302 to the provider (+ state cookie)
 *   GET  /auth/callback?code&state                     → session cookie, 303 to return_to
 *   POST /auth/logout                                  → ends the session (cookie + CSRF token)
 * Failures answer a small HTML page in the UI's frame; the audit log has the reason.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../http/types";
import * as web from "../services/web";
import { cookieMode, loginCookieName, readCookie, sessionCookieName, setCookie } from "../http/cookies";
import { RegistryError, isRegistryError } from "../core/errors";
import { problemPage, send } from "./layout";

export const signInRoutes = new Hono<AppEnv>();

async function failure(c: Context<AppEnv>, e: unknown): Promise<Response> {
  if (!isRegistryError(e)) throw e;
  return send(c, problemPage("Sign-in failed", e.message), e.status);
}

signInRoutes.get("/auth/login", async (c) => {
  const mode = cookieMode(new URL(c.req.url));
  const provider = c.req.query("provider");
  if (!provider) return c.redirect("/ui/login", 302);
  if (mode === "refused") {
    return send(c, problemPage("Sign-in needs https", "Browser sign-in works over https, or over plain http on a loopback address (local development) only."), 400);
  }
  try {
    const { location, state } = await web.startSignIn(c.var.scope, provider, c.req.query("return_to") ?? null);
    c.header("Set-Cookie", setCookie(mode, loginCookieName(mode), state, web.LOGIN_ATTEMPT_SECONDS));
    c.header("Cache-Control", "no-store");
    return c.redirect(location, 302);
  } catch (e) {
    return failure(c, e);
  }
});

signInRoutes.get("/auth/callback", async (c) => {
  const mode = cookieMode(new URL(c.req.url));
  if (mode === "refused") return send(c, problemPage("Sign-in needs https", "Browser sign-in works over https only."), 400);
  const q = c.req.query();
  // The login cookie is spent whatever happens next.
  c.header("Set-Cookie", setCookie(mode, loginCookieName(mode), "", 0), { append: true });
  c.header("Cache-Control", "no-store");
  try {
    const done = await web.finishSignIn(c.var.scope, {
      code: q.code,
      state: q.state,
      error: q.error,
      errorDescription: q.error_description,
      cookieState: readCookie(c.req.header("cookie"), loginCookieName(mode)),
      userAgent: c.req.header("user-agent") ?? null,
    });
    c.header("Set-Cookie", setCookie(mode, sessionCookieName(mode), done.secret, done.maxAgeSeconds), { append: true });
    return c.redirect(done.returnTo, 303);
  } catch (e) {
    return failure(c, e);
  }
});

signInRoutes.post("/auth/logout", async (c) => {
  const mode = cookieMode(new URL(c.req.url));
  if (!c.var.scope.session) throw new RegistryError("UnauthorizedCredentialsRequired", "no browser session to sign out of");
  await web.signOut(c.var.scope);
  if (mode !== "refused") c.header("Set-Cookie", setCookie(mode, sessionCookieName(mode), "", 0));
  return c.body(null, 204);
});
