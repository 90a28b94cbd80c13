/**
 * Unauthenticated system endpoints (public config, liveness, readiness) and the
 * authenticated backup report. Readiness proves D1 and R2 answer and records when
 * that last held, which the backup report quotes.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json, publicRoute } from "./route";
import { checkConfig, checkReadiness, lastReadiness } from "../services/health";
import { VERSION } from "../version";
import { REPO_FORMATS } from "../formats";
import { config } from "../config";
import { iso } from "./schemas";
import { listMessages, signInChoices } from "../services/web";
import { messageOut } from "./sessions";

export const systemRoutes = new OpenAPIHono<AppEnv>();

const PublicConfig = z
  .object({
    name: z.string().describe("Product name"),
    version: z.string().describe("The running version"),
    help_url: z.string().nullable().describe("Where users get help (ORBITALREG_HELP_URL), or null"),
    banner: z.string().nullable().describe("A notice to show users (ORBITALREG_BANNER), or null"),
    formats: z.array(z.string()).describe("Repository formats this registry serves"),
    token_endpoint: z.string().describe("The Docker token endpoint (`/v2/token`)"),
    messages: z
      .array(z.object({ id: z.string().describe("Message id"), content: z.string().describe("Text"), media_type: z.string().describe("text/plain or text/markdown"), severity: z.string().describe("info, warning or error"), created_at: z.string().describe("Creation time") }))
      .describe("Global messages (banners) set by instance admins"),
    sign_in: z
      .array(z.object({ name: z.string().describe("Provider name"), display_name: z.string().describe("What the sign-in button says"), url: z.string().describe("Where the sign-in starts") }))
      .describe("Enabled browser sign-in providers"),
  })
  .openapi("PublicConfig");

systemRoutes.openapi(
  publicRoute({ method: "get", path: "/api/public-config", tags: ["System"], summary: "Public configuration", responses: { 200: json(PublicConfig, "Configuration anyone may read") } }),
  async (c) =>
    c.json(
      {
        name: "OrbitalReg",
        version: VERSION,
        help_url: config(c.env).helpUrl,
        banner: config(c.env).banner,
        formats: [...REPO_FORMATS],
        token_endpoint: `${c.var.scope.baseUrl}/v2/token`,
        messages: (await listMessages(c.var.scope)).map(messageOut),
        sign_in: (await signInChoices(c.var.scope)).map((p) => ({ name: p.name, display_name: p.displayName, url: `/auth/login?provider=${encodeURIComponent(p.name)}` })),
      },
      200,
    ),
);

const Check = z.object({
  ok: z.boolean().describe("Whether the check passed"),
  latency_ms: z.number().describe("How long it took"),
  error: z.string().nullable().describe("Why it failed, or null"),
});
const Ready = z
  .object({
    status: z.enum(["ok", "unavailable"]).describe("`ok` when every check passed"),
    checks: z
      .object({
        d1: Check.describe("A D1 query"),
        r2: Check.describe("An R2 read"),
        config: Check.describe("The configuration: fails when no key to sign registry tokens with (ORBITALREG_JWT_SECRET or ORBITALREG_ADMIN_TOKEN) is set"),
      })
      .describe("Each store's check, and the configuration's"),
  })
  .openapi("Readiness");

systemRoutes.openapi(
  publicRoute({ method: "get", path: "/health/live", tags: ["System"], summary: "Liveness", responses: { 200: json(z.object({ status: z.literal("ok").describe("Always `ok`") }), "The Worker runs") } }),
  (c) => c.json({ status: "ok" as const }, 200),
);

systemRoutes.openapi(
  publicRoute({ method: "get", path: "/health/ready", tags: ["System"], summary: "Readiness: D1 and R2 answer and the configuration is complete", responses: { 200: json(Ready, "Ready"), 503: json(Ready, "Not ready") } }),
  async (c) => {
    const { ok: stores, d1, r2, record } = await checkReadiness(c.var.scope.db, c.env.BLOBS);
    c.var.scope.waitUntil(record);
    const settings = checkConfig(c.env);
    const ok = stores && settings.ok;
    const body = { status: ok ? ("ok" as const) : ("unavailable" as const), checks: { d1, r2, config: settings } };
    return ok ? c.json(body, 200) : c.json(body, 503);
  },
);

const Backup = z
  .object({
    d1: z
      .object({
        binding: z.string().describe("The D1 binding"),
        database: z.string().describe("The database's name"),
        backup: z.array(z.string()).describe("How to back it up"),
        restore: z.array(z.string()).describe("How to restore it"),
      })
      .describe("Metadata (D1)"),
    r2: z
      .object({
        binding: z.string().describe("The R2 binding"),
        bucket: z.string().describe("The bucket's name"),
        backup: z.array(z.string()).describe("How to back it up"),
        restore: z.array(z.string()).describe("How to restore it"),
      })
      .describe("Blob bytes (R2)"),
    consistency: z.string().describe("In which order to restore, and why"),
    last_ready_ok_at: z.string().nullable().describe("When the stores last answered a readiness check (RFC 3339), or null"),
    last_error: z.string().nullable().describe("The last readiness error, or null"),
  })
  .openapi("BackupReport");

systemRoutes.openapi(
  apiRoute({ method: "get", path: "/health/backup", tags: ["System"], summary: "What to back up and how to restore (instance admin)", responses: { 200: json(Backup, "Backup report") } }),
  async (c) => {
    c.var.scope.access.requireInstanceAdmin();
    const ready = await lastReadiness(c.var.scope.db);
    return c.json(
      {
        d1: {
          binding: "DB",
          database: "orbitalreg",
          backup: [
            "D1 Time Travel keeps 30 days of point-in-time history: wrangler d1 time-travel info orbitalreg",
            "Logical export: wrangler d1 export orbitalreg --remote --output orbitalreg.sql",
          ],
          restore: [
            "wrangler d1 time-travel restore orbitalreg --timestamp <RFC3339>",
            "or into a new database: wrangler d1 execute <new-db> --remote --file orbitalreg.sql",
          ],
        },
        r2: {
          binding: "BLOBS",
          bucket: "orbitalreg-blobs",
          backup: [
            "Blob objects (blobs/<uuid>) are written once and never changed: copy new keys to a second bucket (R2 Super Slurper, rclone sync)",
          ],
          restore: ["Copy the objects back under the same keys; D1 blobs rows map each digest to its key"],
        },
        consistency:
          "Restore D1 first, then R2: D1 rows point at blobs by digest, so a blob missing from R2 shows as a 404 on pull and a blob without a D1 row is garbage a GC run removes.",
        last_ready_ok_at: iso(ready.lastOkAt),
        last_error: ready.lastError,
      },
      200,
    );
  },
);
