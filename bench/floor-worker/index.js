// Floor Worker: no auth, no hashing, no metadata — only R2 streaming, so its speed is
// what the runtime itself allows. Routes:
//   PUT  /obj/<key>                 body → R2 put (streamed; needs Content-Length)
//   GET|HEAD /obj/<key>             R2 object → response (streamed)
//   POST /mpu/<key>                 create multipart upload → {uploadId}
//   PUT  /mpu/<key>/<n>?uploadId=   body → uploadPart n
//   POST /mpu/<key>/complete?uploadId=&parts=N  complete
//   GET  /trivial                   "ok"
//   GET  /d1                        one D1 query (`select 1`) → "ok": what a D1 round trip costs locally
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, kind, ...rest] = url.pathname.split("/");
    const key = rest.join("/");
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
