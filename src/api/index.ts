/**
 * The governance API: /api/v1 (project-scoped) and /api/admin (instance admin), plus
 * the OpenAPI 3.1 document generated from the same zod schemas that validate requests.
 * Invariant: a request that fails validation answers 400 `InvalidRequest` with the
 * zod issues as detail, in the standard error envelope — unless its caller is
 * anonymous on a route that needs credentials: that answers 401, as credentials are
 * checked before validation (api/route.ts).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../http/types";
import { RegistryError } from "../core/errors";
import { projectRoutes } from "./projects";
import { repoRoutes } from "./repos";
import { packageRoutes } from "./packages";
import { clientSetupRoutes } from "./client-setup";
import { serviceAccountRoutes } from "./service-accounts";
import { auditRoutes } from "./audit";
import { adminUserRoutes, memberRoutes } from "./users";
import { systemRoutes } from "./system";
import { adminQuotaRoutes, quotaRoutes } from "./quotas";
import { ociRoutes } from "./oci";
import { adminOidcRoutes, oidcExchangeRoutes } from "./oidc";
import { adminWebhookRoutes } from "./webhooks";
import { adminSessionRoutes, messageRoutes, selfSessionRoutes } from "./sessions";
import { userRoutes } from "./user";
import { teamRoutes } from "./teams";
import { imageRoutes } from "./images";
import { securityRoutes } from "./security";
import { quarantineRoutes } from "./quarantine";
import { licensePolicyRoutes } from "./license-policies";
import { whoPulledRoutes } from "./who-pulled";
import { searchRoutes } from "./search";
import { adminRetentionRoutes, retentionRoutes } from "./retention";
import { trashRoutes } from "./trash";
import { adminGcRoutes } from "./gc";
import { detectionRoutes } from "./detection";
import { promotionRoutes } from "./promotion";
import { sigstorePolicyRoutes, sigstoreVerificationRoutes } from "./sigstore";
import { mirrorRoutes } from "./mirrors";
import { proxyCacheRoutes } from "./proxy-caches";
import { VERSION } from "../version";
import { operationIdOf } from "./route";

const validationHook = (result: { success: boolean; error?: { issues: unknown[] } }, c: Context<AppEnv>) => {
  if (!result.success) {
    if (c.get("anonymousOnProtectedRoute")) throw c.var.scope.access.denial("read");
    throw new RegistryError("InvalidRequest", "the request is not valid", {
      detail: (result.error?.issues ?? []).map((i) => {
        const issue = i as { path: (string | number)[]; message: string; code: string };
        return { path: issue.path.join("."), message: issue.message, code: issue.code };
      }),
    });
  }
};

const openapi = () => new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

export function buildApi() {
  const v1 = openapi();
  for (const r of [projectRoutes, repoRoutes, packageRoutes, clientSetupRoutes, serviceAccountRoutes, auditRoutes, memberRoutes, quotaRoutes, ociRoutes, oidcExchangeRoutes, selfSessionRoutes, messageRoutes, userRoutes, teamRoutes, imageRoutes, whoPulledRoutes, searchRoutes, retentionRoutes, trashRoutes, detectionRoutes, promotionRoutes, sigstoreVerificationRoutes, mirrorRoutes, proxyCacheRoutes]) {
    (r as OpenAPIHono<AppEnv>).defaultHook = validationHook;
    v1.route("/", r);
  }
  const admin = openapi();
  for (const r of [adminUserRoutes, adminQuotaRoutes, adminOidcRoutes, adminWebhookRoutes, adminSessionRoutes, securityRoutes, quarantineRoutes, licensePolicyRoutes, sigstorePolicyRoutes, adminRetentionRoutes, adminGcRoutes]) {
    (r as OpenAPIHono<AppEnv>).defaultHook = validationHook;
    admin.route("/", r);
  }

  const root = openapi();
  root.route("/", systemRoutes);
  root.route("/api/v1", v1);
  root.route("/api/admin", admin);
  root.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description:
      "A service-account (orbsa_…), user (orbu_…) or exchanged (orbx_…) token, or the instance-admin token. A browser signed in through /auth/login sends its session cookie instead (plus X-CSRF-Token on changes).",
  });
  let document: ReturnType<typeof root.getOpenAPI31Document> | undefined;
  root.get("/api/openapi.json", (c) => c.json((document ??= openApiDocument(root))));
  return root;
}

/** The OpenAPI 3.1 document of `root`'s routes, each operation with its operationId. */
function openApiDocument(root: OpenAPIHono<AppEnv>) {
  const doc = root.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "OrbitalReg API",
      version: VERSION,
      description:
        "Governance API of OrbitalReg. Errors use the envelope {\"error\": {\"code\", \"message\", \"request_id\"}} (every `code` is listed in the Error schema and is stable); lists take ?cursor=&limit= (default 50, max 500) and return next_cursor.",
      license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
    },
    servers: [{ url: "/", description: "The registry serving this document" }],
  });
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(ops as Record<string, { operationId?: string }>)) {
      if (typeof op === "object" && op && !Array.isArray(op)) op.operationId ??= operationIdOf(method, path);
    }
  }
  return doc;
}
