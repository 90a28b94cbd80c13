import { describe, expect, it } from "vitest";
import { createRepo, createServiceAccount, mintToken, projectWithToken, req } from "./helpers";

const hexOf = async (alg: string, s: string) =>
  [...new Uint8Array(await crypto.subtle.digest(alg, new TextEncoder().encode(s)))].map((b) => b.toString(16).padStart(2, "0")).join("");

async function mavenRepo(visibility = "private") {
  const { project, token } = await projectWithToken("writer");
  const repo = await createRepo(project.id, "maven", { visibility });
  const base = `/maven/${project.slug}/${repo.slug}`;
  const put = (path: string, body: string, t: string | null = token) => req(`${base}/${path}`, { method: "PUT", token: t, body });
  const get = (path: string, t: string | null = token) => req(`${base}/${path}`, { token: t });
  return { project, repo, token, base, put, get };
}

const G = "com/example/lib";

describe("maven repository", () => {
  it("stores artifacts, serves them and all four checksums, and verifies uploaded checksums", async () => {
    const m = await mavenRepo();
    const jar = "jar bytes";
    expect((await m.put(`${G}/1.0/lib-1.0.jar`, jar)).status).toBe(201);
    expect((await m.put(`${G}/1.0/lib-1.0.jar.sha1`, await hexOf("SHA-1", jar))).status).toBe(201);
    expect((await m.put(`${G}/1.0/lib-1.0.jar.sha256`, `${await hexOf("SHA-256", jar)}  lib-1.0.jar\n`)).status).toBe(201);
    const mismatch = await m.put(`${G}/1.0/lib-1.0.jar.md5`, "0".repeat(32));
    expect(mismatch.status).toBe(400);
    expect(await mismatch.text()).toMatch(/md5/);
    expect((await m.put(`${G}/1.0/lib-1.0.jar.sha1`, "not hex!")).status).toBe(400);
    expect((await m.put(`${G}/1.0/lib-9.jar.sha1`, "ab")).status).toBe(400);
    expect((await m.put(`${G}/1.0/lib-1.0-missing.jar.sha1`, "ab")).status).toBe(404);
    expect((await m.put(`${G}/1.0/lib-1.0.jar.sha1`, "a".repeat(5000))).status).toBe(413);

    const got = await m.get(`${G}/1.0/lib-1.0.jar`);
    expect(got.status).toBe(200);
    expect(got.headers.get("content-type")).toBe("application/java-archive");
    expect(await got.text()).toBe(jar);
    expect(await (await m.get(`${G}/1.0/lib-1.0.jar.sha1`)).text()).toBe(await hexOf("SHA-1", jar));
    expect(await (await m.get(`${G}/1.0/lib-1.0.jar.sha256`)).text()).toBe(await hexOf("SHA-256", jar));
    expect(await (await m.get(`${G}/1.0/lib-1.0.jar.sha512`)).text()).toBe(await hexOf("SHA-512", jar));
    expect((await (await m.get(`${G}/1.0/lib-1.0.jar.md5`)).text())).toMatch(/^[a-f0-9]{32}$/);
    expect((await m.get(`${G}/1.0/lib-1.0.pom`)).status).toBe(404);
  });

  it("keeps releases immutable: same bytes are a no-op, other bytes a conflict, new files allowed", async () => {
    const m = await mavenRepo();
    expect((await m.put(`${G}/1.0/lib-1.0.jar`, "one")).status).toBe(201);
    expect((await m.put(`${G}/1.0/lib-1.0.jar`, "one")).status).toBe(200);
    expect((await m.put(`${G}/1.0/lib-1.0.jar`, "two")).status).toBe(409);
    expect((await m.put(`${G}/1.0/lib-1.0-sources.jar`, "src")).status).toBe(201);
    expect(await (await m.get(`${G}/1.0/lib-1.0.jar`)).text()).toBe("one");
  });

  it("generates artifact metadata, ignores the client's copy, and serves consistent checksums", async () => {
    const m = await mavenRepo();
    await m.put(`${G}/1.0/lib-1.0.pom`, "<project/>");
    await m.put(`${G}/1.10/lib-1.10.pom`, "<project/>");
    await m.put(`${G}/1.2/lib-1.2.pom`, "<project/>");
    expect((await m.put(`${G}/maven-metadata.xml`, "<metadata><garbage/></metadata>")).status).toBe(201);
    expect((await m.put(`${G}/maven-metadata.xml.sha1`, "abc")).status).toBe(201);
    const res = await m.get(`${G}/maven-metadata.xml`);
    expect(res.headers.get("content-type")).toBe("application/xml");
    const xml = await res.text();
    expect(xml).not.toContain("garbage");
    expect(xml).toContain("<groupId>com.example</groupId>");
    expect(xml).toContain("<release>1.10</release>");
    expect(xml).toMatch(/<version>1.0<\/version>\s*<version>1.2<\/version>\s*<version>1.10<\/version>/);
    for (const [alg, name] of [["sha1", "SHA-1"], ["sha256", "SHA-256"], ["sha512", "SHA-512"]] as const) {
      expect(await (await m.get(`${G}/maven-metadata.xml.${alg}`)).text()).toBe(await hexOf(name, xml));
    }
    expect((await m.get(`com/example/nothing/maven-metadata.xml`)).status).toBe(404);
  });

  it("accepts timestamped SNAPSHOT builds and writes version-level metadata", async () => {
    const m = await mavenRepo();
    const V = `${G}/2.0-SNAPSHOT`;
    await m.put(`${V}/lib-2.0-20261122.061500-1.jar`, "b1");
    await m.put(`${V}/lib-2.0-20261122.061500-1.pom`, "<p1/>");
    await m.put(`${V}/lib-2.0-20261123.070000-2.jar`, "b2");
    await m.put(`${V}/lib-2.0-20261123.070000-2.pom`, "<p2/>");
    await m.put(`${V}/lib-2.0-20261123.070000-2-sources.jar`, "s2");
    expect((await m.put(`${V}/maven-metadata.xml`, "<metadata/>")).status).toBe(201);
    const xml = await (await m.get(`${V}/maven-metadata.xml`)).text();
    expect(xml).toContain("<version>2.0-SNAPSHOT</version>");
    expect(xml).toContain("<timestamp>20261123.070000</timestamp>");
    expect(xml).toContain("<buildNumber>2</buildNumber>");
    expect(xml).toContain("<value>2.0-20261123.070000-2</value>");
    expect(xml).not.toContain("<value>2.0-20261122.061500-1</value>");
    expect(xml).toContain("<classifier>sources</classifier>");
    const top = await (await m.get(`${G}/maven-metadata.xml`)).text();
    expect(top).toContain("<latest>2.0-SNAPSHOT</latest>");
    expect(top).not.toContain("<release>");
    expect(await (await m.get(`${V}/lib-2.0-20261122.061500-1.jar`)).text()).toBe("b1");
    expect((await m.put(`${V}/lib-2.0-20261122.061500-1.jar`, "changed")).status).toBe(409);
  });

  it("accepts concurrent uploads of several files of a new artifact version", async () => {
    const m = await mavenRepo();
    const names = ["lib-3.0.jar", "lib-3.0.pom", "lib-3.0-sources.jar", "lib-3.0-javadoc.jar"];
    const res = await Promise.all(names.map((n) => m.put(`${G}/3.0/${n}`, n)));
    expect(res.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    for (const n of names) expect(await (await m.get(`${G}/3.0/${n}`)).text()).toBe(n);
  });

  it("refuses paths outside the layout", async () => {
    const m = await mavenRepo();
    expect((await m.put(`${G}/1.0/other-1.0.jar`, "x")).status).toBe(400);
    expect((await m.put(`lib/1.0/lib-1.0.jar`, "x")).status).toBe(400);
    expect((await m.put(`${G}/1.0/lib-1.0.jar%00`, "x")).status).toBe(400);
  });

  it("challenges anonymous callers with Basic, refuses foreign and read-only tokens, serves public repos", async () => {
    const m = await mavenRepo();
    await m.put(`${G}/1.0/lib-1.0.jar`, "j");
    const anon = await m.get(`${G}/maven-metadata.xml`, null);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toBe('Basic realm="OrbitalReg"');
    expect((await m.put(`${G}/1.1/lib-1.1.jar`, "j", null)).status).toBe(401);
    const other = await projectWithToken("admin");
    expect((await m.get(`${G}/1.0/lib-1.0.jar`, other.token)).status).toBe(403);
    const reader = await createServiceAccount(m.project.id, "reader");
    const readerToken = await mintToken(m.project.id, reader.id);
    expect((await m.get(`${G}/1.0/lib-1.0.jar`, readerToken)).status).toBe(200);
    expect((await m.put(`${G}/1.1/lib-1.1.jar`, "j", readerToken)).status).toBe(403);
    // Basic auth with the token as password, as Maven sends it
    const basic = await req(`${m.base}/${G}/1.0/lib-1.0.jar`, { headers: { Authorization: `Basic ${btoa(`ci:${m.token}`)}` } });
    expect(basic.status).toBe(200);

    const pub = await mavenRepo("public");
    await pub.put(`${G}/1.0/lib-1.0.jar`, "open");
    expect(await (await pub.get(`${G}/1.0/lib-1.0.jar`, null)).text()).toBe("open");
    expect((await pub.get(`${G}/maven-metadata.xml`, null)).status).toBe(200);
  });
});
