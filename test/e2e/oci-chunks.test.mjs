// Chunked pushes over real HTTP (wrangler dev, its proxy, a TCP socket), where what the
// Worker does with a body it refuses shows: answering while megabytes are still on
// their way, then closing, makes the client see a reset connection (or, through
// wrangler's proxy, "Network connection lost.") instead of the 416 it needs in order to
// resume. Also: the chunk size the registry advertises.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { send, setup } from "./lib.mjs";

const MiB = 2 ** 20;

test("a refused 8 MiB chunk gets its 416 or 404 (not a reset); chunks of the advertised size push and pull back", { timeout: 120_000 }, async () => {
  const ctx = await setup("docker");
  const auth = `Basic ${Buffer.from(`ci:${ctx.token}`).toString("base64")}`;
  const name = `${ctx.project.slug}/${ctx.repo.slug}/chunks`;
  const start = await send("POST", `/v2/${name}/blobs/uploads/`, auth, { "Content-Length": "0" });
  assert.equal(start.status, 202);
  const chunk = Number(start.headers["oci-chunk-min-length"]);
  assert.equal(chunk, 5 * MiB);
  const data = randomBytes(3 * chunk + 12_345);
  const digest = `sha256:${createHash("sha256").update(data).digest("hex")}`;
  const patch = (location, from, to) =>
    send("PATCH", location, auth, { "Content-Type": "application/octet-stream", "Content-Length": String(to - from), "Content-Range": `${from}-${to - 1}` }, Readable.from([data.subarray(from, to)]));

  const outOfOrder = await patch(start.headers.location, chunk, Math.min(data.length, chunk + 8 * MiB));
  assert.equal(outOfOrder.status, 416, outOfOrder.body.toString());
  assert.equal(outOfOrder.headers.range, "0-0");
  assert.equal(JSON.parse(outOfOrder.body).errors[0].code, "BLOB_UPLOAD_INVALID");

  const unknown = await patch(`/v2/${name}/blobs/uploads/${"0".repeat(64)}`, 0, 8 * MiB);
  assert.equal(unknown.status, 404, unknown.body.toString());
  assert.equal(JSON.parse(unknown.body).errors[0].code, "BLOB_UPLOAD_UNKNOWN");

  let location = start.headers.location;
  for (let from = 0; from < data.length; from += chunk) {
    const to = Math.min(data.length, from + chunk);
    const res = await patch(location, from, to);
    assert.equal(res.status, 202, res.body.toString());
    assert.equal(res.headers.range, `0-${to - 1}`);
    location = res.headers.location;
  }
  const put = await send("PUT", `${location}?digest=${digest}`, auth, { "Content-Length": "0" });
  assert.equal(put.status, 201, put.body.toString());
  const pulled = await send("GET", `/v2/${name}/blobs/${digest}`, auth, {});
  assert.equal(pulled.status, 200);
  assert.ok(pulled.body.equals(data), "the blob comes back bit for bit");
});
