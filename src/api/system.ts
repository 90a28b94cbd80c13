/**
 * Unauthenticated system endpoints (public config, liveness, readiness) and the
 * authenticated backup report. Readiness proves D1 and R2 answer and records when
 * that last held, which the backup report quotes.
 */
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/types";
import { apiRoute, json } from "./route";
import { checkReadiness, lastReadiness } from "../services/health";
import { VERSION } from "../version";
import { REPO_FORMATS } from "../formats";
import { config } from "../config";
import { iso } from "./schemas";

export const systemRoutes = new OpenAPIHono<AppEnv>();

const PublicConfig = z
  .object({
    name: z.string(),
    version: z.string(),
    help_url: z.string().nullable(),
    banner: z.string().nullable(),
    formats: z.array(z.string()),
    token_endpoint: z.string(),
  })
  .openapi("PublicConfig");

systemRoutes.openapi(
  createRoute({ method: "get", path: "/api/public-config", tags: ["System"], summary: "Public configuration", responses: { 200: json(PublicConfig, "Configuration anyone may read") } }),
  (c) =>
    c.json(
      {
        name: "OrbitalReg",
        version: VERSION,
        help_url: config(c.env).helpUrl,
        banner: config(c.env).banner,
        formats: [...REPO_FORMATS],
        token_endpoint: `${c.var.scope.baseUrl}/v2/token`,
      },
      200,
    ),
);

const Check = z.object({ ok: z.boolean(), latency_ms: z.number(), error: z.string().nullable() });
const Ready = z.object({ status: z.enum(["ok", "unavailable"]), checks: z.object({ d1: Check, r2: Check }) }).openapi("Readiness");

systemRoutes.openapi(
  createRoute({ method: "get", path: "/health/live", tags: ["System"], summary: "Liveness", responses: { 200: json(z.object({ status: z.literal("ok") }), "The Worker runs") } }),
  (c) => c.json({ status: "ok" as const }, 200),
);

systemRoutes.openapi(
  createRoute({ method: "get", path: "/health/ready", tags: ["System"], summary: "Readiness: D1 and R2 answer", responses: { 200: json(Ready, "Ready"), 503: json(Ready, "Not ready") } }),
  async (c) => {
    const { ok, d1, r2, record } = await checkReadiness(c.var.scope.db, c.env.BLOBS);
    c.var.scope.waitUntil(record);
    const body = { status: ok ? ("ok" as const) : ("unavailable" as const), checks: { d1, r2 } };
    return ok ? c.json(body, 200) : c.json(body, 503);
  },
);

const Backup = z
  .object({
    d1: z.object({ binding: z.string(), database: z.string(), backup: z.array(z.string()), restore: z.array(z.string()) }),
    r2: z.object({ binding: z.string(), bucket: z.string(), backup: z.array(z.string()), restore: z.array(z.string()) }),
    consistency: z.string(),
    last_ready_ok_at: z.string().nullable(),
    last_error: z.string().nullable(),
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
