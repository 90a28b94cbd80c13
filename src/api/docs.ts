/**
 * /api/docs: a Redoc page that loads nothing from outside the registry. The Redoc
 * bundle ships inside the Worker (imported as text by the wrangler rule for
 * `*.standalone.js`) and is served from /api/docs/redoc.standalone.js.
 */
import { Hono } from "hono";
import type { AppEnv } from "../http/types";
import redocBundle from "redoc/bundles/redoc.standalone.js";

export const docsRoutes = new Hono<AppEnv>();

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>OrbitalReg API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<redoc spec-url="/api/openapi.json" hide-download-button="false"></redoc>
<script src="/api/docs/redoc.standalone.js"></script>
</body>
</html>`;

docsRoutes.get("/api/docs", (c) => {
  c.header("Content-Security-Policy", "default-src 'self'; script-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src 'self' blob:; font-src 'self' data:");
  return c.html(PAGE);
});

docsRoutes.get("/api/docs/redoc.standalone.js", (c) => {
  c.header("Cache-Control", "public, max-age=86400");
  return c.body(redocBundle as string, 200, { "Content-Type": "application/javascript; charset=utf-8" });
});
