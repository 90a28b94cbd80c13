import { describe, expect, it } from "vitest";
import { ADMIN, createRepo, jsonOf, projectWithToken, req, mintToken, createServiceAccount } from "./helpers";
import { esc, publishBody } from "./npm-fixtures";

async function npmRepo(extra: Record<string, unknown> = {}) {
  const { project, sa, token } = await projectWithToken("writer");
  const repo = await createRepo(project.id, "npm", extra);
  const base = `/npm/${project.slug}/${repo.slug}`;
  return { project, sa, token, repo, base };
}

async function publish(base: string, token: string, name: string, version: string, opts = {}) {
  const { body, bytes } = await publishBody(name, version, opts);
  const res = await req(`${base}/${esc(name)}`, { method: "PUT", token, json: body });
  return { res, bytes };
}

describe("npm publish and install", () => {
  it("answers a publish over the 128 MiB cap with 413 in npm's format after reading the body, so npm reads it (declared or chunked)", async () => {
    const { token, base } = await npmRepo();
    const MiB = 1024 * 1024;
    const size = 129 * MiB;
    for (const declared of [true, false]) {
      let pulled = 0;
      const piece = new Uint8Array(MiB).fill(0x20);
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (pulled >= size) return c.close();
          c.enqueue(piece.slice());
          pulled += MiB;
        },
      });
      const headers: Record<string, string> = { "Content-Type": "application/json", ...(declared ? { "Content-Length": String(size) } : {}) };
      const res = await req(`${base}/too-big`, { method: "PUT", token, body, headers, duplex: "half" } as RequestInit);
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ code: "PayloadTooLargeBody", error: expect.stringMatching(/larger than/) });
      expect(pulled, declared ? "declared" : "chunked").toBe(size); // drained, not cut: a client still sending would see a reset
    }
    expect((await req(`${base}/too-big`, { token })).status).toBe(404);
  }, 300_000); // streams 2 × 129 MiB

  it("publishes, serves full and abbreviated packuments and the tarball, scoped names either way", async () => {
    const { token, base } = await npmRepo();
    const name = "@acme/widget";
    const { res, bytes } = await publish(base, token, name, "1.0.0");
    await jsonOf(res, 201);

    for (const path of [`${base}/@acme%2fwidget`, `${base}/@acme%2Fwidget`, `${base}/@acme/widget`]) {
      const doc = await jsonOf(await req(path, { token }), 200);
      expect(doc.name).toBe(name);
      expect(doc._rev).toMatch(/^\d+-[0-9a-f]{8}$/);
      expect(doc["dist-tags"]).toEqual({ latest: "1.0.0" });
      expect(doc.readme).toBe("# hello");
      expect(doc.versions["1.0.0"].readme).toBeUndefined();
      expect(doc.versions["1.0.0"].dist.tarball).toBe(`http://registry.test${base}/@acme/widget/-/widget-1.0.0.tgz`);
      expect(doc.time["1.0.0"]).toMatch(/Z$/);
    }

    const abbr = await req(`${base}/@acme%2fwidget`, { token, headers: { Accept: "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*" } });
    expect(abbr.headers.get("content-type")).toContain("application/vnd.npm.install-v1+json");
    const a = await jsonOf(abbr, 200);
    expect(Object.keys(a).sort()).toEqual(["dist-tags", "modified", "name", "versions"]);
    expect(a.versions["1.0.0"]).toMatchObject({ name, version: "1.0.0", hasInstallScript: true, dependencies: {} });
    expect(a.versions["1.0.0"].description).toBeUndefined();

    for (const file of ["widget-1.0.0.tgz", "@acme/widget-1.0.0.tgz"]) {
      const tgz = await req(`${base}/@acme/widget/-/${file}`, { token });
      expect(tgz.status).toBe(200);
      expect(tgz.headers.get("content-type")).toBe("application/octet-stream");
      expect(new Uint8Array(await tgz.arrayBuffer())).toEqual(bytes);
    }
    expect((await req(`${base}/@acme/widget/-/widget-9.9.9.tgz`, { token })).status).toBe(404);
    expect(await jsonOf(await req(`${base}/@acme%2fwidget/latest`, { token }), 200)).toMatchObject({ version: "1.0.0" });
    expect((await req(`${base}/nope`, { token })).status).toBe(404);
  });

  it("refuses republishing a version, bad integrity, bad names and versions", async () => {
    const { token, base } = await npmRepo();
    await jsonOf((await publish(base, token, "dup", "1.0.0")).res, 201);
    const again = await jsonOf((await publish(base, token, "dup", "1.0.0")).res, 403);
    expect(again.error).toContain("cannot publish over the previously published versions");

    const badSha512 = await publish(base, token, "bad", "1.0.0", { integrity: `sha512-${btoa("nope")}` });
    expect(await jsonOf(badSha512.res, 400)).toMatchObject({ code: "InvalidIntegrity" });
    const badSha1 = await publish(base, token, "bad", "1.0.0", { shasum: "0".repeat(40) });
    expect(await jsonOf(badSha1.res, 400)).toMatchObject({ code: "InvalidIntegrity" });
    expect((await req(`${base}/bad`, { token })).status).toBe(404);

    const { body } = await publishBody("Upper", "1.0.0");
    expect((await req(`${base}/Upper`, { method: "PUT", token, json: body })).status).toBe(400);
    const { body: notSemver } = await publishBody("ok", "1.0");
    expect((await req(`${base}/ok`, { method: "PUT", token, json: notSemver })).status).toBe(400);
    const { body: otherName } = await publishBody("ok", "1.0.0");
    expect((await req(`${base}/different`, { method: "PUT", token, json: otherName })).status).toBe(400);
    const { body: badLength } = await publishBody("ok", "1.0.0");
    (Object.values(badLength._attachments)[0] as { length: number }).length = 3;
    expect((await req(`${base}/ok`, { method: "PUT", token, json: badLength })).status).toBe(400);
    expect((await req(`${base}/ok`, { method: "PUT", token, body: "{not json", headers: { "Content-Type": "application/json" } })).status).toBe(400);
  });
});

describe("npm auth", () => {
  it("answers 401 with a Bearer challenge, 403 for other projects and missing scopes", async () => {
    const { project, token, base } = await npmRepo();
    const anon = await req(`${base}/x`, { method: "PUT", json: (await publishBody("x", "1.0.0")).body });
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect((await jsonOf(anon)).error).toBeTruthy();
    expect((await req(`${base}/x`)).status).toBe(401);

    const other = await projectWithToken("writer");
    expect((await req(`${base}/x`, { token: other.token })).status).toBe(403);

    const reader = await mintToken(project.id, (await createServiceAccount(project.id, "reader")).id);
    expect((await publish(base, reader, "x", "1.0.0")).res.status).toBe(403);

    await jsonOf((await publish(base, token, "x", "1.0.0")).res, 201);
    const noDelete = await mintToken(project.id, (await createServiceAccount(project.id, "writer")).id, { scopes: ["read", "write"] });
    const doc = await jsonOf(await req(`${base}/x?write=true`, { token }), 200);
    expect((await req(`${base}/x/-rev/${doc._rev}`, { method: "DELETE", token: noDelete })).status).toBe(403);
    expect((await req(`${base}/-/whoami`)).status).toBe(401);
  });

  it("lets anyone read a public repo but not write to it", async () => {
    const { token, base } = await npmRepo({ visibility: "public" });
    await jsonOf((await publish(base, token, "pub", "1.0.0")).res, 201);
    expect((await req(`${base}/pub`)).status).toBe(200);
    expect((await req(`${base}/pub/-/pub-1.0.0.tgz`)).status).toBe(200);
    expect((await req(`${base}/-/ping`)).status).toBe(200);
    expect((await publish(base, "", "pub", "2.0.0")).res.status).toBe(401);
  });
});

describe("npm dist-tags, deprecate, unpublish, whoami, search", () => {
  it("adds, lists and removes dist-tags", async () => {
    const { token, base } = await npmRepo();
    await jsonOf((await publish(base, token, "@s/tags", "1.0.0")).res, 201);
    await jsonOf((await publish(base, token, "@s/tags", "2.0.0-beta.1", { tag: "next" })).res, 201);
    const tags = `${base}/-/package/@s%2ftags/dist-tags`;
    expect(await jsonOf(await req(tags, { token }), 200)).toEqual({ latest: "1.0.0", next: "2.0.0-beta.1" });
    await jsonOf(await req(`${tags}/stable`, { method: "PUT", token, json: "1.0.0" }), 201);
    expect((await req(`${tags}/stable`, { method: "PUT", token, json: "9.9.9" })).status).toBe(404);
    expect((await req(`${tags}/1.x`, { method: "PUT", token, json: "1.0.0" })).status).toBe(400);
    expect((await req(`${tags}/latest`, { method: "DELETE", token })).status).toBe(400);
    await jsonOf(await req(`${tags}/next`, { method: "DELETE", token }), 200);
    expect((await req(`${tags}/next`, { method: "DELETE", token })).status).toBe(404);
    expect(await jsonOf(await req(tags, { token }), 200)).toEqual({ latest: "1.0.0", stable: "1.0.0" });
  });

  it("deprecates and undeprecates with a PUT of the packument, without touching files", async () => {
    const { token, base } = await npmRepo();
    await jsonOf((await publish(base, token, "old", "1.0.0")).res, 201);
    const doc = await jsonOf(await req(`${base}/old?write=true`, { token }), 200);
    doc.versions["1.0.0"].deprecated = "use new instead";
    await jsonOf(await req(`${base}/old`, { method: "PUT", token, json: doc }), 200);
    const after = await jsonOf(await req(`${base}/old`, { token }), 200);
    expect(after.versions["1.0.0"].deprecated).toBe("use new instead");
    expect(after._rev).not.toBe(doc._rev);
    const abbr = await jsonOf(await req(`${base}/old`, { token, headers: { Accept: "application/vnd.npm.install-v1+json" } }), 200);
    expect(abbr.versions["1.0.0"].deprecated).toBe("use new instead");
    after.versions["1.0.0"].deprecated = "";
    await jsonOf(await req(`${base}/old`, { method: "PUT", token, json: after }), 200);
    expect((await jsonOf(await req(`${base}/old`, { token }), 200)).versions["1.0.0"].deprecated).toBeUndefined();
    expect((await req(`${base}/missing`, { method: "PUT", token, json: doc })).status).toBe(404);
  });

  it("unpublishes one version the way npm does, then the whole package", async () => {
    const { token, base } = await npmRepo();
    for (const v of ["1.0.0", "1.1.0", "1.2.0"]) await jsonOf((await publish(base, token, "gone", v)).res, 201);
    const doc = await jsonOf(await req(`${base}/gone?write=true`, { token }), 200);
    expect(doc["dist-tags"].latest).toBe("1.2.0");

    // npm: PUT the packument without the version, then DELETE the tarball with the new rev.
    const tarballPath = new URL(doc.versions["1.2.0"].dist.tarball).pathname;
    delete doc.versions["1.2.0"];
    doc["dist-tags"] = { latest: "1.1.0" };
    expect((await req(`${base}/gone/-rev/0-stale`, { method: "PUT", token, json: doc })).status).toBe(409);
    await jsonOf(await req(`${base}/gone/-rev/${doc._rev}`, { method: "PUT", token, json: doc }), 200);
    const { _rev } = await jsonOf(await req(`${base}/gone?write=true`, { token }), 200);
    await jsonOf(await req(`${tarballPath}/-rev/${_rev}`, { method: "DELETE", token }), 200);
    const now = await jsonOf(await req(`${base}/gone`, { token }), 200);
    expect(Object.keys(now.versions)).toEqual(["1.0.0", "1.1.0"]);
    expect(now["dist-tags"]).toEqual({ latest: "1.1.0" });
    expect((await req(tarballPath, { token })).status).toBe(404);
    expect((await publish(base, token, "gone", "1.2.0")).res.status).toBe(403);

    // A tarball DELETE alone also unpublishes, and re-points latest.
    const r2 = (await jsonOf(await req(`${base}/gone?write=true`, { token }), 200))._rev;
    await jsonOf(await req(`${base}/gone/-/gone-1.1.0.tgz/-rev/${r2}`, { method: "DELETE", token }), 200);
    expect((await jsonOf(await req(`${base}/gone`, { token }), 200))["dist-tags"]).toEqual({ latest: "1.0.0" });

    const r3 = (await jsonOf(await req(`${base}/gone?write=true`, { token }), 200))._rev;
    await jsonOf(await req(`${base}/gone/-rev/${r3}`, { method: "DELETE", token }), 200);
    expect((await req(`${base}/gone`, { token })).status).toBe(404);
    expect((await req(`${base}/gone/-/gone-1.0.0.tgz`, { token })).status).toBe(404);
  });

  it("searches names, descriptions and keywords as npm search asks: every word, keywords: and scope: qualifiers, the others ignored", async () => {
    const { token, base } = await npmRepo();
    const put = async (name: string, description: string, keywords: string[]) => {
      const { body } = await publishBody(name, "1.0.0");
      const manifest = body.versions["1.0.0"] as Record<string, unknown>;
      Object.assign(manifest, { description, keywords });
      await jsonOf(await req(`${base}/${esc(name)}`, { method: "PUT", token, json: { ...body, description } }), 201);
    };
    await put("left-pad", "Pads strings on the left", ["string", "padding"]);
    await put("right-pad", "Pads strings on the right", ["string"]);
    await put("@acme/colours", "Terminal colours", ["ansi", "terminal"]);
    const search = async (text: string) => jsonOf(await req(`${base}/-/v1/search?text=${encodeURIComponent(text)}&size=20`, { token }), 200);
    const names = async (text: string) => (await search(text)).objects.map((o: any) => o.package.name);

    expect(await names("pads")).toEqual(["left-pad", "right-pad"]); // in the description
    expect(await names("padding")).toEqual(["left-pad"]); // a keyword
    expect(await names("strings RIGHT")).toEqual(["right-pad"]); // every word, any case
    expect(await names("keywords:ansi,nothing")).toEqual(["@acme/colours"]);
    expect(await names("keywords:STRING")).toEqual(["left-pad", "right-pad"]);
    expect(await names("scope:acme")).toEqual(["@acme/colours"]);
    expect(await names("colours author:someone not:deprecated is:unstable")).toEqual(["@acme/colours"]);
    expect(await names("%")).toEqual([]); // LIKE's wildcards are text here
    expect(await names("_")).toEqual([]);
    // Long or many words are cut to what one D1 query may bind, not refused with a 5xx.
    expect(await names("x".repeat(5000))).toEqual([]);
    expect(await names(Array(50).fill("pads").join(" "))).toEqual(["left-pad", "right-pad"]);
    expect(await names(`keywords:${Array(50).fill("padding").join(",")}`)).toEqual(["left-pad"]);
    const found = await search("string");
    expect(found.total).toBe(2);
    expect(found.objects[0].package).toMatchObject({ name: "left-pad", description: "Pads strings on the left", keywords: ["string", "padding"], version: "1.0.0" });
    expect((await jsonOf(await req(`${base}/-/v1/search?text=string&size=1&from=1`, { token }), 200)).objects.map((o: any) => o.package.name)).toEqual(["right-pad"]);
  });

  it("cuts a README past 128 Ki characters, and refuses (413, keeping nothing) a version whose metadata no database row would hold", async () => {
    const { project, token, base } = await npmRepo();
    const big = await publishBody("big-readme", "1.0.0");
    (big.body.versions["1.0.0"] as Record<string, unknown>).readme = "r".repeat(300_000);
    await jsonOf(await req(`${base}/big-readme`, { method: "PUT", token, json: big.body }), 201);
    const doc = await jsonOf(await req(`${base}/big-readme`, { token }), 200);
    expect(doc.readme.startsWith("r".repeat(128 * 1024))).toBe(true);
    expect(doc.readme).toMatch(/\(README cut to 131072 characters by the registry\)$/);

    const usage = async () => (await jsonOf(await req(`/api/v1/projects/${project.id}/quota`, { token: ADMIN }), 200)).usage.used_bytes;
    const before = await usage();
    const huge = await publishBody("huge-meta", "1.0.0");
    Object.assign(huge.body.versions["1.0.0"] as Record<string, unknown>, { description: "d".repeat(1_100_000) });
    const refused = await req(`${base}/huge-meta`, { method: "PUT", token, json: huge.body });
    expect(refused.status).toBe(413);
    expect(((await refused.json()) as { error: string }).error).toMatch(/metadata is \d+ bytes of JSON; at most 1000000 are kept/);
    expect((await req(`${base}/huge-meta`, { token })).status).toBe(404);
    expect(await usage()).toBe(before);
  });

  it("answers whoami, ping and search", async () => {
    const { sa, token, base } = await npmRepo();
    expect(await jsonOf(await req(`${base}/-/whoami`, { token }), 200)).toEqual({ username: sa.name });
    expect(await jsonOf(await req(`${base}/-/ping`, { token }), 200)).toEqual({});
    await jsonOf((await publish(base, token, "findme-one", "1.0.0")).res, 201);
    await jsonOf((await publish(base, token, "other", "1.0.0")).res, 201);
    const found = await jsonOf(await req(`${base}/-/v1/search?text=findme&size=20`, { token }), 200);
    expect(found.objects.map((o: any) => o.package.name)).toEqual(["findme-one"]);
    expect(found.objects[0].package).toMatchObject({ version: "1.0.0", description: "the findme-one package" });
    expect((await jsonOf(await req(`${base}/-/v1/search?text=`, { token }), 200)).objects).toHaveLength(2);
    expect((await req(`${base}/-/whoami`, { token: ADMIN })).status).toBe(200);
  });
});
