/**
 * What every signed-in page starts from: the viewer (GET /api/v1/user) and the global
 * messages (GET /api/v1/messages), both through the governance API; and how a page
 * answers when the API refuses (401 → sign in, 403/404 → a plain page).
 */
import type { Context } from "hono";
import type { AppEnv } from "../http/types";
import { ApiError, callApi } from "./api-client";
import { frame, problemPage, send, type Banner, type Frame, type Html } from "./layout";

export interface Me {
  id: string;
  username: string;
  is_admin: boolean;
  can_create_projects: boolean;
  session: { id: string; csrf_token: string } | null;
}

export interface PageCtx {
  me: Me;
  messages: Banner[];
}

export async function pageCtx(c: Context<AppEnv>): Promise<PageCtx> {
  const [me, msgs] = await Promise.all([callApi<Me>(c, "/api/v1/user"), callApi<{ messages: Banner[] }>(c, "/api/v1/messages")]);
  return { me, messages: msgs.messages };
}

export async function render(c: Context<AppEnv>, ctx: PageCtx, f: Omit<Frame, "viewer" | "csrf" | "messages">, status = 200) {
  return send(c, frame({ ...f, viewer: { username: ctx.me.username, isAdmin: ctx.me.is_admin }, csrf: ctx.me.session?.csrf_token ?? null, messages: ctx.messages }), status);
}

/** Runs a page; turns API refusals into a redirect to sign-in or a plain error page. */
export function page(handler: (c: Context<AppEnv>, ctx: PageCtx) => Promise<Response>) {
  return async (c: Context<AppEnv>) => {
    try {
      return await handler(c, await pageCtx(c));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (e.status === 401) return c.redirect(`/ui/login?return_to=${encodeURIComponent(new URL(c.req.url).pathname + new URL(c.req.url).search)}`, 303);
      if (e.code === "ForbiddenNotAUser") return send(c, problemPage("Sign in as a person", "The web interface is for users; this credential is a service account or an exchanged token."), 403);
      return send(c, problemPage(e.status === 404 ? "Not found" : "Not allowed", e.message, ["Back to projects", "/ui"]), e.status);
    }
  };
}

export type { Html };
