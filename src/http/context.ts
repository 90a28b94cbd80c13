/**
 * Per-request middleware: request id, then the Scope (database, principal, access).
 * Invariant: authentication happens here exactly once; an invalid credential fails the
 * request with 401 even on routes that allow anonymous access, so a typo in a token is
 * never silently treated as "anonymous".
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./types";
import { database } from "../db/client";
import { Access } from "../auth/access";
import { authenticate } from "../auth/authenticate";
import { credentialFrom } from "../auth/credentials";
import { jwtSecretOf } from "../auth/registry-jwt";
import { config } from "../config";

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export const requestId = createMiddleware<AppEnv>(async function requestId(c, next) {
  const incoming = c.req.header("x-request-id");
  const id = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", id);
  await next();
  c.res.headers.set("X-Request-Id", id);
});

export const scope = createMiddleware<AppEnv>(async function scope(c, next) {
  const db = database(c.env.DB);
  const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p.catch((e) => console.error("background task failed", e)));
  const principal = await authenticate(credentialFrom(c.req.header("authorization")), {
    db,
    adminToken: config(c.env).adminToken ?? undefined,
    jwtSecret: await jwtSecretOf(c.env),
    waitUntil,
  });
  const url = new URL(c.req.url);
  c.set("scope", {
    env: c.env,
    db,
    access: new Access(db, principal),
    requestId: c.get("requestId"),
    ip: c.req.header("cf-connecting-ip") ?? null,
    baseUrl: url.origin,
    waitUntil,
  });
  await next();
});
