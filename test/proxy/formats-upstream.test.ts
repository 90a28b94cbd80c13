// Upstream repos of PyPI, Maven, Go, Cargo and generic files against stub upstreams: each
// format's metadata cached and rewritten, its artifacts pulled through, checked against
// the upstream's own digest (a mismatch keeps nothing), and then served by the format's
// local route.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, createProject, createRepo, jsonOf, req } from "../helpers";
import { installOutbound, uninstallOutbound } from "../support/outbound";
import { StubUpstream, bytesOf, digestHex, readAll, readUntilBroken } from "../support/upstream";

beforeAll(installOutbound);
afterAll(uninstallOutbound);

async function upstreamRepo(format: string, url: string, extra: Record<string, unknown> = {}) {
  const project = await createProject();
  const repo = await createRepo(project.id, format, { kind: "upstream", upstream_url: url, ...extra });
  return { project, repo, base: `/${format}/${project.slug}/${repo.slug}` };
}

const get = (path: string, headers: Record<string, string> = {}) => req(path, { token: ADMIN, headers });

describe("PyPI upstream repos", () => {
  it("caches a JSON project page, serves it as HTML or JSON with local file URLs, and pulls files through by sha256", async () => {
    const up = new StubUpstream();
    const wheel = bytesOf("wheel bytes ".repeat(500));
    const sdist = bytesOf("sdist bytes ".repeat(300));
    const files = new StubUpstream("files.example.com");
    const { base } = await upstreamRepo("pypi", up.origin);
    // The sdist's listed hash is not its bytes' hash.
    const wheelSha = await digestHex("SHA-256", wheel);
    up.on("/simple/my-lib/", () =>
      Response.json(
        { name: "my-lib", files: [{ filename: "my_lib-1.0-py3-none-any.whl", url: "/files/abc/my_lib-1.0-py3-none-any.whl", hashes: { sha256: wheelSha }, "requires-python": ">=3.8" }, { filename: "my_lib-1.1.tar.gz", url: "https://files.example.com/my_lib-1.1.tar.gz", hashes: { sha256: "1".repeat(64) } }] },
        { headers: { "Content-Type": "application/vnd.pypi.simple.v1+json" } },
      ),
    );
    up.on("/files/abc/my_lib-1.0-py3-none-any.whl", () => new Response(wheel));
    files.on("/my_lib-1.1.tar.gz", () => new Response(sdist));

    const html = await get(`${base}/simple/my-lib/`, { Accept: "text/html" });
    expect(html.headers.get("x-orbitalreg-cache")).toBe("MISS");
    const text = await html.text();
    expect(text).toContain(`href="http://registry.test${base}/files/my_lib-1.0-py3-none-any.whl#sha256=${wheelSha}"`);
    expect(text).toContain('data-requires-python="&gt;=3.8"');
    const json = await jsonOf(await get(`${base}/simple/my-lib/`, { Accept: "application/vnd.pypi.simple.v1+json" }), 200);
    expect(json.files.map((f: any) => f.url)).toEqual([`http://registry.test${base}/files/my_lib-1.0-py3-none-any.whl`, `http://registry.test${base}/files/my_lib-1.1.tar.gz`]);
    expect(json.versions).toEqual(["1.0", "1.1"]);

    const miss = await get(`${base}/files/my_lib-1.0-py3-none-any.whl`);
    expect(miss.headers.get("x-orbitalreg-cache")).toBe("MISS");
    expect(await readAll(miss)).toEqual(wheel);
    const hit = await get(`${base}/files/my_lib-1.0-py3-none-any.whl`);
    expect(hit.headers.get("etag")).toBe(`"sha256:${wheelSha}"`);
    expect(await readAll(hit)).toEqual(wheel);
    // The sdist's page hash is wrong: a broken transfer, nothing kept.
    expect((await readUntilBroken(await get(`${base}/files/my_lib-1.1.tar.gz`))).broken).toBe(true);
    expect((await readUntilBroken(await get(`${base}/files/my_lib-1.1.tar.gz`))).broken).toBe(true);
    expect(files.count("/my_lib-1.1.tar.gz")).toBe(2);
    expect(up.count("/files/abc/my_lib-1.0-py3-none-any.whl")).toBe(1);
    // A file no cached page lists is not fetched.
    expect((await get(`${base}/files/other-2.0.tar.gz`)).status).toBe(404);
  });

  it("reads a PEP 503 HTML page from the upstream", async () => {
    const up = new StubUpstream();
    const wheel = bytesOf("html wheel");
    const sha = await digestHex("SHA-256", wheel);
    up.on("/simple/old-lib/", () => new Response(`<!DOCTYPE html><html><body><a href="../../pkgs/old_lib-0.1-py2.py3-none-any.whl#sha256=${sha}" data-requires-python="&gt;=2.7">old_lib-0.1-py2.py3-none-any.whl</a><br/></body></html>`, { headers: { "Content-Type": "text/html" } }));
    up.on("/pkgs/old_lib-0.1-py2.py3-none-any.whl", () => new Response(wheel));
    const { base } = await upstreamRepo("pypi", up.origin);
    const json = await jsonOf(await get(`${base}/simple/old-lib/`, { Accept: "application/vnd.pypi.simple.v1+json" }), 200);
    expect(json.files[0]).toMatchObject({ filename: "old_lib-0.1-py2.py3-none-any.whl", hashes: { sha256: sha }, "requires-python": ">=2.7" });
    expect(await readAll(await get(`${base}/files/old_lib-0.1-py2.py3-none-any.whl`))).toEqual(wheel);
  });
});

describe("Maven upstream repos", () => {
  it("caches maven-metadata.xml with consistent checksums and pulls artifacts through against the upstream's .sha1", async () => {
    const up = new StubUpstream();
    const jar = bytesOf("PK jar bytes ".repeat(100));
    const pom = bytesOf("<project><modelVersion>4.0.0</modelVersion></project>");
    const meta = "<metadata><groupId>com.acme</groupId><artifactId>lib</artifactId><versioning><versions><version>1.0</version></versions></versioning></metadata>";
    up.on("/maven2/com/acme/lib/maven-metadata.xml", () => new Response(meta, { headers: { "Content-Type": "application/xml" } }));
    up.on("/maven2/com/acme/lib/1.0/lib-1.0.jar", () => new Response(jar));
    up.on("/maven2/com/acme/lib/1.0/lib-1.0.jar.sha1", async () => new Response(`${await digestHex("SHA-1", jar)}  lib-1.0.jar\n`));
    up.on("/maven2/com/acme/lib/1.0/lib-1.0.pom", () => new Response(pom));
    up.on("/maven2/com/acme/lib/1.0/lib-1.0.pom.sha1", () => new Response("0".repeat(40)));
    const { base } = await upstreamRepo("maven", `${up.origin}/maven2/`);

    const m = await get(`${base}/com/acme/lib/maven-metadata.xml`);
    expect(await m.text()).toBe(meta);
    expect((await (await get(`${base}/com/acme/lib/maven-metadata.xml.sha1`)).text()).trim()).toBe(await digestHex("SHA-1", bytesOf(meta)));
    expect(up.count("/maven2/com/acme/lib/maven-metadata.xml")).toBe(1);

    const miss = await get(`${base}/com/acme/lib/1.0/lib-1.0.jar`);
    expect(miss.headers.get("x-orbitalreg-cache")).toBe("MISS");
    expect(await readAll(miss)).toEqual(jar);
    const hit = await get(`${base}/com/acme/lib/1.0/lib-1.0.jar`);
    expect(hit.headers.get("x-checksum-sha1")).toBe(await digestHex("SHA-1", jar));
    expect(await readAll(hit)).toEqual(jar);
    expect((await (await get(`${base}/com/acme/lib/1.0/lib-1.0.jar.md5`)).text()).trim()).toMatch(/^[0-9a-f]{32}$/);
    // The POM's published sha1 is wrong: refused, not kept.
    expect((await readUntilBroken(await get(`${base}/com/acme/lib/1.0/lib-1.0.pom`))).broken).toBe(true);
    expect((await get(`${base}/com/acme/lib/2.0/lib-2.0.jar`)).status).toBe(404);
  });
});

describe("Go upstream repos", () => {
  it("serves @v/list, .info and .mod from the cache and pulls the zip through, then serves it as an uploaded version", async () => {
    const up = new StubUpstream();
    const zip = bytesOf("PK zip of the module");
    up.on("/example.com/!acme/lib/@v/list", () => new Response("v1.0.0\nv1.1.0\n"));
    up.on("/example.com/!acme/lib/@v/v1.1.0.info", () => Response.json({ Version: "v1.1.0", Time: "2026-01-02T03:04:05Z" }));
    up.on("/example.com/!acme/lib/@v/v1.1.0.mod", () => new Response("module example.com/Acme/lib\n"));
    up.on("/example.com/!acme/lib/@v/v1.1.0.zip", () => new Response(zip));
    const { base } = await upstreamRepo("go", up.origin, { visibility: "public" });

    expect(await (await get(`${base}/example.com/!acme/lib/@v/list`)).text()).toBe("v1.0.0\nv1.1.0\n");
    expect(await jsonOf(await get(`${base}/example.com/!acme/lib/@v/v1.1.0.info`), 200)).toEqual({ Version: "v1.1.0", Time: "2026-01-02T03:04:05Z" });
    const miss = await get(`${base}/example.com/!acme/lib/@v/v1.1.0.zip`);
    expect(miss.headers.get("x-orbitalreg-cache")).toBe("MISS");
    expect(await readAll(miss)).toEqual(zip);
    const hit = await req(`${base}/example.com/!acme/lib/@v/v1.1.0.zip`);
    expect(hit.headers.get("x-orbitalreg-cache")).toBeNull();
    expect(await readAll(hit)).toEqual(zip);
    expect(up.count("/example.com/!acme/lib/@v/v1.1.0.zip")).toBe(1);
    expect((await get(`${base}/example.com/!acme/lib/@v/v9.9.9.info`)).status).toBe(404);
  });
});

describe("Cargo upstream repos", () => {
  it("serves index files from the cache and pulls .crate files through, checked against cksum, from the config's dl", async () => {
    const up = new StubUpstream();
    const dl = new StubUpstream("static.example.com");
    const crate = bytesOf("gzip crate bytes");
    const cksum = await digestHex("SHA-256", crate);
    const line = (vers: string, sum: string) => JSON.stringify({ name: "Serde-Lite", vers, deps: [], cksum: sum, features: {}, yanked: false, links: null, v: 2 });
    up.on("/config.json", () => Response.json({ dl: "https://static.example.com/crates/{crate}/{crate}-{version}.crate", api: "https://crates.example.com" }));
    up.on("/se/rd/serde-lite", () => new Response(`${line("1.0.0", cksum)}\n${line("1.0.1", "f".repeat(64))}\n`));
    dl.on("/crates/Serde-Lite/Serde-Lite-1.0.0.crate", () => new Response(crate));
    dl.on("/crates/Serde-Lite/Serde-Lite-1.0.1.crate", () => new Response(crate));
    const { base } = await upstreamRepo("cargo", `${up.origin}/`);

    const config = await jsonOf(await get(`${base}/index/config.json`), 200);
    expect(config.dl).toBe(`http://registry.test${base}/api/v1/crates`);
    const index = await get(`${base}/index/se/rd/serde-lite`);
    expect(index.headers.get("x-orbitalreg-cache")).toBe("MISS");
    expect((await index.text()).split("\n")[0]).toBe(line("1.0.0", cksum));

    const miss = await get(`${base}/api/v1/crates/Serde-Lite/1.0.0/download`);
    expect(await readAll(miss)).toEqual(crate);
    const hit = await get(`${base}/api/v1/crates/serde-lite/1.0.0/download`);
    expect(hit.headers.get("x-orbitalreg-cache")).toBeNull();
    expect(await readAll(hit)).toEqual(crate);
    expect((await readUntilBroken(await get(`${base}/api/v1/crates/Serde-Lite/1.0.1/download`))).broken).toBe(true);
    expect(dl.count("/crates/Serde-Lite/Serde-Lite-1.0.0.crate")).toBe(1);
  });
});

describe("generic upstream repos", () => {
  it("fetches a path once, checks the upstream's declared checksum, keeps nothing on a mismatch", async () => {
    const up = new StubUpstream();
    const file = bytesOf("release tarball ".repeat(1000));
    const sha = await digestHex("SHA-256", file);
    up.on("/releases/tool-1.0.tar.gz", () => new Response(file, { headers: { "X-Checksum-Sha256": sha } }));
    up.on("/releases/tool-1.1.tar.gz", () => new Response(file, { headers: { "X-Checksum-Sha256": "0".repeat(64) } }));
    const { base } = await upstreamRepo("generic", `${up.origin}/releases/`, { blocked_patterns: ["*.exe"] });

    const miss = await get(`${base}/tool-1.0.tar.gz`);
    expect(miss.headers.get("x-orbitalreg-cache")).toBe("MISS");
    expect(await readAll(miss)).toEqual(file);
    const hit = await get(`${base}/tool-1.0.tar.gz`);
    expect(hit.headers.get("x-checksum-sha256")).toBe(sha);
    expect(await readAll(hit)).toEqual(file);
    expect(up.count("/releases/tool-1.0.tar.gz")).toBe(1);
    expect((await readUntilBroken(await get(`${base}/tool-1.1.tar.gz`))).broken).toBe(true);
    expect((await get(`${base}/missing.bin`)).status).toBe(404);
    expect((await get(`${base}/missing.bin`)).status).toBe(404);
    expect(up.count("/releases/missing.bin")).toBe(1);
    expect((await get(`${base}/setup.exe`)).status).toBe(403);
    expect(up.count("/releases/setup.exe")).toBe(0);
  });
});
