// Floor Worker: no auth, no hashing, no metadata — only R2 streaming, so its speed is
// what the runtime itself allows. Routes:
//   PUT  /obj/<key>                 body → R2 put (streamed; needs Content-Length)
//   GET|HEAD /obj/<key>             R2 object → response (streamed)
//   POST /mpu/<key>                 create multipart upload → {uploadId}
//   PUT  /mpu/<key>/<n>?uploadId=   body → uploadPart n
//   POST /mpu/<key>/complete?uploadId=&parts=N  complete
//   GET  /trivial                   "ok"
//   GET  /d1                        one D1 query (`select 1`) → "ok": what a D1 round trip costs locally
//   PUT  /npm/<name>                `npm publish`'s body → packument and tarball kept in isolate memory
//   GET  /npm/<name>, /npm/<name>/-/<file>   the packument (JSON) and the tarball: the least an
//                                   npm registry on Workers can do (no auth, no storage, no checks)
const packuments = new Map();
const tarballs = new Map();

async function npmFloor(request, url, rest) {
  const name = decodeURIComponent(rest[0] ?? "");
  if (request.method === "PUT") {
    const body = await request.json();
    const doc = packuments.get(name) ?? { _id: name, name, "dist-tags": {}, versions: {}, time: {} };
    for (const [v, m] of Object.entries(body.versions ?? {})) {
      const file = `${name}-${v}.tgz`;
      doc.versions[v] = { ...m, dist: { ...m.dist, tarball: `${url.origin}/npm/${name}/-/${file}` } };
      doc.time[v] = new Date().toISOString();
      tarballs.set(`${name}/${file}`, Uint8Array.from(atob(body._attachments[file].data), (c) => c.charCodeAt(0)));
    }
    Object.assign(doc["dist-tags"], body["dist-tags"]);
    packuments.set(name, doc);
    return Response.json({ ok: true }, { status: 201 });
  }
  if (rest[1] === "-") {
    const bytes = tarballs.get(`${name}/${rest[2]}`);
    return bytes ? new Response(bytes, { headers: { "content-type": "application/octet-stream" } }) : new Response("not found", { status: 404, headers: { "content-type": "text/plain" } });
  }
  const doc = packuments.get(name);
  return doc ? Response.json(doc) : Response.json({ error: "not found" }, { status: 404 });
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, kind, ...rest] = url.pathname.split("/");
    const key = rest.join("/");
    if (kind === "npm") return npmFloor(request, url, rest);
    if (kind === "trivial") return new Response("ok", { headers: { "content-type": "text/plain" } });
    if (kind === "d1") {
      await env.DB.prepare("select 1 as one").first();
      return new Response("ok", { headers: { "content-type": "text/plain" } });
    }
    if (kind === "obj") {
      if (request.method === "PUT") {
        await env.BLOBS.put(key, request.body);
        return new Response(null, { status: 201 });
      }
      if (request.method === "HEAD") {
        const head = await env.BLOBS.head(key);
        if (!head) return new Response(null, { status: 404 });
        return new Response(null, { headers: { "content-type": "application/octet-stream", "content-length": String(head.size), etag: head.httpEtag } });
      }
      const obj = await env.BLOBS.get(key);
      if (!obj) return new Response("not found", { status: 404, headers: { "content-type": "text/plain" } });
      return new Response(obj.body, { headers: { "content-type": "application/octet-stream", "content-length": String(obj.size), etag: obj.httpEtag } });
    }
    if (kind === "mpu") {
      const uploadId = url.searchParams.get("uploadId");
      const last = rest[rest.length - 1];
      if (request.method === "POST" && last === "complete") {
        const k = rest.slice(0, -1).join("/");
        const upload = env.BLOBS.resumeMultipartUpload(k, uploadId);
        const parts = JSON.parse(await request.text());
        await upload.complete(parts);
        return new Response(null, { status: 201 });
      }
      if (request.method === "POST") {
        const upload = await env.BLOBS.createMultipartUpload(key);
        return Response.json({ uploadId: upload.uploadId });
      }
      if (request.method === "PUT") {
        const k = rest.slice(0, -1).join("/");
        const upload = env.BLOBS.resumeMultipartUpload(k, uploadId);
        const part = await upload.uploadPart(Number(last), request.body);
        return Response.json(part);
      }
    }
    return new Response("no route", { status: 404, headers: { "content-type": "text/plain" } });
  },
};
