/**
 * Browser sessions and sign-in configuration in the governance API:
 *   /api/admin/login-providers  OIDC login providers (instance admin; the secret is write-only)
 *   /api/admin/sessions         every user's sessions, revocation (instance admin)
 *   /api/v1/user/sessions       the caller's own sessions
 *   /api/v1/messages            global messages (reference 004 §2.6): read by anyone, written by instance admins
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { d, at, pathParam } from "./fields";
import { apiRoute, json, jsonBody, publicRoute } from "./route";
import { PageQuery, idParam, iso, pageOf } from "./schemas";
import { page } from "./serialize";
import * as web from "../services/web";
import { MESSAGE_MEDIA_TYPES, MESSAGE_SEVERITIES, PROVISIONING_MODES } from "../core/vocabulary";


const GroupMapping = z
  .object({
    group: d(z.string().min(1).max(256), "A value of the provider's groups claim"),
    team_id: d(z.string(), "The team a user in that group joins at sign-in (and leaves when no longer in it)"),
  })
  .openapi("GroupMapping");

const ProviderFields = {
  name: d(z.string().min(1).max(32), "Slug used in the sign-in URL (/auth/login?provider=<name>)"),
  display_name: d(z.string().min(1).max(100), "Shown on the sign-in button"),
  issuer: d(z.string().url().max(512), "The provider's issuer URL; /.well-known/openid-configuration is read from it"),
  client_id: d(z.string().min(1).max(512), "OAuth client id registered at the provider"),
  scopes: d(z.array(z.string().min(1).max(100)).min(1).max(20), "Scopes asked for; must include openid (default openid, email, profile)"),
  allowed_email_domains: d(z.array(z.string().min(1).max(253)).max(50), "When not empty, only verified emails of these domains may sign in"),
  groups_claim: d(z.string().min(1).max(100).nullable(), "ID token claim that lists the user's groups (e.g. groups), or null"),
  group_mappings: d(z.array(GroupMapping).max(200), "Groups that make a user a member of a team"),
  provisioning: d(z.enum(PROVISIONING_MODES), "auto: a first sign-in creates the user; invite: only existing users (matched by verified email) may sign in"),
  enabled: d(z.boolean(), "Disabled providers are not offered and refuse callbacks"),
};
const LoginProvider = z
  .object({
    id: d(z.string(), "Provider id"),
    ...ProviderFields,
    client_secret_set: d(z.boolean(), "Whether a client secret is stored (the secret itself is never returned)"),
    secret_updated_at: at("When the client secret was last set"),
    created_at: at("Creation time"),
    updated_at: at("Last change"),
  })
  .openapi("LoginProvider");
const ClientSecret = d(z.string().min(1).max(1024), "OAuth client secret (write-only)");
const LoginProviderCreate = z
  .object({ ...ProviderFields, client_secret: ClientSecret })
  .partial({ display_name: true, scopes: true, allowed_email_domains: true, groups_claim: true, group_mappings: true, provisioning: true, enabled: true })
  .openapi("LoginProviderCreate");
const LoginProviderUpdate = z.object({ ...ProviderFields, client_secret: ClientSecret }).partial().openapi("LoginProviderUpdate");

const providerOut = (row: web.LoginProviderRow) => {
  const p = web.publicProvider(row);
  return {
    id: p.id,
    name: p.name,
    display_name: p.displayName,
    issuer: p.issuer,
    client_id: p.clientId,
    scopes: p.scopes,
    allowed_email_domains: p.allowedEmailDomains,
    groups_claim: p.groupsClaim,
    group_mappings: p.groupMappings,
    provisioning: p.provisioning,
    enabled: p.enabled,
    client_secret_set: p.clientSecretSet,
    secret_updated_at: iso(p.secretUpdatedAt)!,
    created_at: iso(p.createdAt)!,
    updated_at: iso(p.updatedAt)!,
  };
};

const Session = z
  .object({
    id: d(z.string(), "Session id (a handle: the cookie's secret is never shown)"),
    user_id: d(z.string(), "The signed-in user"),
    provider_id: d(z.string().nullable(), "The login provider used"),
    created_at: at("Sign-in time"),
    last_seen_at: at("Last request (updated at most once a minute)"),
    expires_at: at("Absolute end of the session"),
    ip: d(z.string().nullable(), "Client address at sign-in"),
    user_agent: d(z.string().nullable(), "Browser at sign-in"),
    current: d(z.boolean(), "Whether this is the session making the request"),
  })
  .openapi("Session");
const sessionOut = (current: string | undefined) => (s: web.SessionRow) => ({
  id: s.id,
  user_id: s.userId,
  provider_id: s.providerId,
  created_at: iso(s.createdAt)!,
  last_seen_at: iso(s.lastSeenAt)!,
  expires_at: iso(s.expiresAt)!,
  ip: s.ip,
  user_agent: s.userAgent,
  current: s.id === current,
});

const Message = z
  .object({
    id: d(z.string(), "Message id"),
    content: d(z.string(), "The text shown in the banner"),
    media_type: d(z.enum(MESSAGE_MEDIA_TYPES), "How to render content"),
    severity: d(z.enum(MESSAGE_SEVERITIES), "info, warning or error"),
    created_at: at("Creation time"),
  })
  .openapi("GlobalMessage");
const MessageCreate = z
  .object({
    content: d(z.string().min(1).max(2000), "The text to show"),
    media_type: d(z.enum(MESSAGE_MEDIA_TYPES), "text/plain (default) or text/markdown").optional(),
    severity: d(z.enum(MESSAGE_SEVERITIES), "info (default), warning or error").optional(),
  })
  .openapi("GlobalMessageCreate");
export const messageOut = (m: web.GlobalMessageRow) => ({ id: m.id, content: m.content, media_type: m.mediaType, severity: m.severity, created_at: iso(m.createdAt)! });

const param = pathParam;

export const adminSessionRoutes = new OpenAPIHono<AppEnv>();
const providerTags = ["Sign-in"];

adminSessionRoutes.openapi(
  apiRoute({ method: "get", path: "/login-providers", operationId: "listLoginProviders", tags: providerTags, summary: "List OIDC login providers", request: { query: PageQuery }, responses: { 200: json(pageOf(LoginProvider, "LoginProviderPage"), "A page of providers") } }),
  async (c) => {
    const q = c.req.valid("query");
    return c.json(page(await web.listLoginProviders(c.var.scope, q.cursor, q.limit), providerOut), 200);
  },
);
adminSessionRoutes.openapi(
  apiRoute({ method: "post", path: "/login-providers", operationId: "createLoginProvider", tags: providerTags, summary: "Add an OIDC login provider", request: jsonBody(LoginProviderCreate), responses: { 201: json(LoginProvider, "Created") } }),
  async (c) => c.json(providerOut(await web.createLoginProvider(c.var.scope, c.req.valid("json"))), 201),
);
adminSessionRoutes.openapi(
  apiRoute({ method: "get", path: "/login-providers/{id}", operationId: "getLoginProvider", tags: providerTags, summary: "Get a login provider", request: { params: idParam("login provider") }, responses: { 200: json(LoginProvider, "The provider") } }),
  async (c) => c.json(providerOut(await web.getLoginProvider(c.var.scope, c.req.valid("param").id)), 200),
);
adminSessionRoutes.openapi(
  apiRoute({ method: "patch", path: "/login-providers/{id}", operationId: "updateLoginProvider", tags: providerTags, summary: "Change a login provider (client_secret to rotate it)", request: { params: idParam("login provider"), ...jsonBody(LoginProviderUpdate) }, responses: { 200: json(LoginProvider, "The provider") } }),
  async (c) => c.json(providerOut(await web.updateLoginProvider(c.var.scope, c.req.valid("param").id, c.req.valid("json"))), 200),
);
adminSessionRoutes.openapi(
  apiRoute({ method: "delete", path: "/login-providers/{id}", operationId: "deleteLoginProvider", tags: providerTags, summary: "Delete a login provider and the identities linked through it", request: { params: idParam("login provider") }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    await web.deleteLoginProvider(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);
adminSessionRoutes.openapi(
  apiRoute({
    method: "get",
    path: "/sessions",
    operationId: "listAllSessions",
    tags: providerTags,
    summary: "List active browser sessions",
    request: { query: PageQuery.extend({ user_id: d(z.string(), "Only this user's sessions").optional() }) },
    responses: { 200: json(pageOf(Session, "SessionPage"), "A page of sessions") },
  }),
  async (c) => {
    const q = c.req.valid("query");
    return c.json(page(await web.listSessions(c.var.scope, q.user_id, q.cursor, q.limit), sessionOut(c.var.scope.session?.id)), 200);
  },
);
adminSessionRoutes.openapi(
  apiRoute({ method: "delete", path: "/sessions/{id}", operationId: "revokeSession", tags: providerTags, summary: "Revoke a browser session (takes effect at once)", request: { params: idParam("session") }, responses: { 204: { description: "Revoked" } } }),
  async (c) => {
    await web.revokeSession(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

export const selfSessionRoutes = new OpenAPIHono<AppEnv>();
selfSessionRoutes.openapi(
  apiRoute({ method: "get", path: "/user/sessions", operationId: "listMySessions", tags: ["User"], summary: "List my browser sessions", request: { query: PageQuery }, responses: { 200: json(pageOf(Session, "MySessionPage"), "A page of sessions") } }),
  async (c) => {
    const q = c.req.valid("query");
    return c.json(page(await web.listMySessions(c.var.scope, q.cursor, q.limit), sessionOut(c.var.scope.session?.id)), 200);
  },
);
selfSessionRoutes.openapi(
  apiRoute({ method: "delete", path: "/user/sessions/{id}", operationId: "revokeMySession", tags: ["User"], summary: "End one of my browser sessions", request: { params: z.object({ id: param("id", "Session id") }) }, responses: { 204: { description: "Ended" } } }),
  async (c) => {
    await web.revokeMySession(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);

export const messageRoutes = new OpenAPIHono<AppEnv>();
const messageTags = ["Messages"];
messageRoutes.openapi(
  publicRoute({
    method: "get",
    path: "/messages",
    operationId: "getGlobalMessages",
    tags: messageTags,
    summary: "List global messages (anyone)",
    responses: { 200: json(z.object({ messages: d(z.array(Message), "Every current message, oldest first") }).openapi("GlobalMessageList"), "The messages") },
  }),
  async (c) => c.json({ messages: (await web.listMessages(c.var.scope)).map(messageOut) }, 200),
);
messageRoutes.openapi(
  apiRoute({ method: "post", path: "/messages", operationId: "createGlobalMessage", tags: messageTags, summary: "Create a global message (instance admin)", request: jsonBody(MessageCreate), responses: { 201: json(Message, "Created") } }),
  async (c) => c.json(messageOut(await web.createMessage(c.var.scope, c.req.valid("json"))), 201),
);
messageRoutes.openapi(
  apiRoute({ method: "delete", path: "/messages/{id}", operationId: "deleteGlobalMessage", tags: messageTags, summary: "Delete a global message (instance admin)", request: { params: idParam("message") }, responses: { 204: { description: "Deleted" } } }),
  async (c) => {
    await web.deleteMessage(c.var.scope, c.req.valid("param").id);
    return c.body(null, 204);
  },
);
