/**
 * Large layers on Cloudflare's network: with ORBITALREG_MAX_REQUEST_BODY_BYTES set (the
 * plan's limit), an upload start advertises it as OCI-Chunk-Max-Length, and a body
 * over it is refused before it is read, with an error that says how to push.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { buildApp } from "../src/app";
import type { Env } from "../src/env";
import { BASE } from "./helpers";
import { basic, ociRepo, sha256 } from "./oci-helpers";

const MAX = 6 * 1024 * 1024;
const capped = { ...env, ORBITALREG_MAX_REQUEST_BODY_BYTES: String(MAX) } as Env;

async function send(path: string, init: RequestInit) {
  const ctx = createExecutionContext();
  const res = await buildApp().fetch(new Request(`${BASE}${path}`, init), capped, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("request body limit", () => {
  it("advertises OCI-Chunk-Max-Length and refuses a longer body early, saying how to push", async () => {
    const { name, token } = await ociRepo();
    const start = await send(`/v2/${name}/blobs/uploads/`, { method: "POST", headers: { Authorization: basic(token) } });
    expect(start.status).toBe(202);
    expect(start.headers.get("oci-chunk-max-length")).toBe(String(MAX));
    expect(start.headers.get("oci-chunk-min-length")).toBe(String(5 * 1024 * 1024));

    const big = new Uint8Array(MAX + 1);
    const refused = await send(`${new URL(start.headers.get("location")!, BASE).pathname}?digest=${await sha256(big)}`, {
      method: "PUT",
      headers: { Authorization: basic(token), "Content-Type": "application/octet-stream", "Content-Length": String(big.byteLength) },
      body: big,
    });
    expect(refused.status).toBe(413);
    const body = await refused.json<{ errors: { code: string; message: string }[] }>();
    expect(body.errors[0]).toMatchObject({ code: "SIZE_INVALID", message: expect.stringContaining("regctl") });

    const fits = new Uint8Array(MAX).fill(1);
    const whole = await send(`/v2/${name}/blobs/uploads/?digest=${await sha256(fits)}`, {
      method: "POST",
      headers: { Authorization: basic(token), "Content-Type": "application/octet-stream", "Content-Length": String(fits.byteLength) },
      body: fits,
    });
    expect(whole.status).toBe(201);
  });

  it("sets no maximum when the variable is unset (wrangler dev, the tests)", async () => {
    const { name, token } = await ociRepo();
    const ctx = createExecutionContext();
    const start = await buildApp().fetch(new Request(`${BASE}/v2/${name}/blobs/uploads/`, { method: "POST", headers: { Authorization: basic(token) } }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(start.headers.get("oci-chunk-max-length")).toBeNull();
  });
});
