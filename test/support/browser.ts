/**
 * A browser's side of sign-in for workerd tests: follows /auth/login to the test
 * provider and back, keeps the cookies, and sends API calls the way the UI does.
 */
import { SELF } from "cloudflare:test";
import { expect } from "vitest";
import { ADMIN, jsonOf, req, unique } from "../helpers";
import type { TestOpenIdProvider } from "./openid-provider";

export const HTTPS = "https://registry.test";
export const SESSION_COOKIE = "__Host-orbitalreg_session";
export const LOGIN_COOKIE = "__Host-orbitalreg_login";

/** name=value pairs of a response's Set-Cookie headers. */
export function cookiesOf(res: Response): Record<string, { value: string; attrs: string }> {
  const out: Record<string, { value: string; attrs: string }> = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(";");
    const eq = pair!.indexOf("=");
    out[pair!.slice(0, eq).trim()] = { value: pair!.slice(eq + 1), attrs: attrs.join(";").trim() };
  }
  return out;
}

export async function addProvider(provider: TestOpenIdProvider, extra: Record<string, unknown> = {}) {
  return jsonOf(
    await req("/api/admin/login-providers", {
      method: "POST",
      token: ADMIN,
      json: { name: unique("idp").slice(0, 30), display_name: "Test IdP", issuer: provider.url, client_id: provider.clientId, client_secret: provider.clientSecret, ...extra },
    }),
    201,
  );
}

/** Step 1: /auth/login → the provider's authorization URL and the login cookie. */
export async function startLogin(providerName: string, base = HTTPS, returnTo?: string) {
  const q = new URLSearchParams({ provider: providerName, ...(returnTo ? { return_to: returnTo } : {}) });
  const res = await SELF.fetch(`${base}/auth/login?${q}`, { redirect: "manual" });
  expect(res.status, await res.clone().text()).toBe(302);
  const cookies = cookiesOf(res);
  const name = base.startsWith("https:") ? LOGIN_COOKIE : "orbitalreg_login";
  return { location: res.headers.get("location")!, loginCookie: `${name}=${cookies[name]!.value}`, cookies };
}

export function callback(url: string, cookie: string | null) {
  return SELF.fetch(url, { redirect: "manual", headers: cookie ? { Cookie: cookie } : {} });
}

export interface Browser {
  cookie: string;
  csrf: string;
  me: any;
  /** An API call as the UI makes it (cookie, Origin, X-CSRF-Token on changes). */
  api: (path: string, init?: { method?: string; json?: unknown; csrf?: string | null; origin?: string | null }) => Promise<Response>;
}

export function browser(cookie: string, csrf = ""): Omit<Browser, "me"> {
  return {
    cookie,
    csrf,
    api: (path, init = {}) => {
      const headers: Record<string, string> = { Cookie: cookie };
      const method = init.method ?? "GET";
      if (method !== "GET") {
        if (init.origin !== null) headers.Origin = init.origin ?? HTTPS;
        if (init.csrf !== null) headers["X-CSRF-Token"] = init.csrf ?? csrf;
      }
      if (init.json !== undefined) headers["Content-Type"] = "application/json";
      return SELF.fetch(`${HTTPS}${path}`, { method, headers, body: init.json === undefined ? undefined : JSON.stringify(init.json), redirect: "manual" });
    },
  };
}

/** The whole sign-in: returns a browser holding the session cookie. */
export async function signIn(provider: TestOpenIdProvider, providerName: string, subject = unique("alice")): Promise<Browser> {
  const { location, loginCookie } = await startLogin(providerName);
  const res = await callback(provider.authorize(location, subject), loginCookie);
  expect(res.status, await res.clone().text()).toBe(303);
  const session = cookiesOf(res)[SESSION_COOKIE];
  expect(session?.value).toBeTruthy();
  const b = browser(`${SESSION_COOKIE}=${session!.value}`);
  const me = await jsonOf(await b.api("/api/v1/user"), 200);
  return { ...browser(b.cookie, me.session.csrf_token), me };
}
