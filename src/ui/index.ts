/**
 * The web UI, served by the same Worker: `/` → `/ui`, pages under `/ui/…`, the two
 * static assets, and the browser sign-in flow (`/auth/…`, sign-in.ts). Pages are rendered on the server from governance API answers
 * (ui/api-client.ts), so a page arrives complete in one response and its actions call
 * the same API from the browser (ui/assets.ts).
 */
import { Hono } from "hono";
import type { AppEnv } from "../http/types";
import { APP_CSS, APP_JS } from "./assets";
import { loginPage } from "./pages/login";
import { blockedPage } from "./pages/blocked";
import { registerPages } from "./pages";

export { signInRoutes } from "./sign-in";

export const uiRoutes = new Hono<AppEnv>();

uiRoutes.get("/", (c) => c.redirect("/ui", 302));
const asset = (body: string, type: string) => () =>
  new Response(body, { headers: { "Content-Type": type, "Cache-Control": "public, max-age=86400, immutable", "X-Content-Type-Options": "nosniff" } });
uiRoutes.get("/ui/assets/app.css", asset(APP_CSS, "text/css; charset=utf-8"));
uiRoutes.get("/ui/assets/app.js", asset(APP_JS, "application/javascript; charset=utf-8"));
uiRoutes.get("/ui/login", loginPage);
uiRoutes.get("/blocked/:id", blockedPage);
registerPages(uiRoutes);
