/**
 * The web UI inside workerd: every page renders for a signed-in user from governance
 * API answers, carries the strict CSP and no external asset, stays small, sends the
 * anonymous to sign-in and shows what a viewer may not see as a plain refusal.
 */
import { SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, createProject, createRepo, jsonOf, req, setMember, unique } from "../helpers";
import { installOutbound, uninstallOutbound } from "../support/outbound";
import { TestOpenIdProvider } from "../support/openid-provider";
import { HTTPS, addProvider, signIn, type Browser } from "../support/browser";
import { jwksCache } from "../../src/auth/jwks";
import { pushImage } from "../oci-helpers";

let idp: TestOpenIdProvider;
let b: Browser;
let project: any;
let ociRepo: any;
let npmRepo: any;

beforeAll(async () => {
  installOutbound();
  idp = await TestOpenIdProvider.create("ui");
  const provider = await addProvider(idp);
  b = await signIn(idp, provider.name, unique("uiuser"));
  project = await createProject();
  await setMember(project.id, "user", b.me.id, "admin");
  ociRepo = await createRepo(project.id, "docker");
  npmRepo = await createRepo(project.id, "generic");
  const sa = await jsonOf(await req(`/api/v1/projects/${project.id}/service_accounts`, { method: "POST", token: ADMIN, json: { name: unique("ci"), role: "writer" } }), 201);
  const token = (await jsonOf(await req(`/api/v1/projects/${project.id}/service_accounts/${sa.id}/tokens`, { method: "POST", token: ADMIN, json: { name: "t" } }), 201)).token;
  await pushImage(`${project.slug}/${ociRepo.slug}/web/app`, token, "v1");
  await pushImage(`${project.slug}/${ociRepo.slug}/web/app`, token, "v2", 2);
  await pushImage(`${project.slug}/${ociRepo.slug}/web/app`, token, "v1", 3); // v1 moves: its first digest can be restored
  expect((await req(`/generic/${project.slug}/${npmRepo.slug}/tools/cli.bin`, { method: "PUT", token, body: "bin" })).status).toBe(201);
  await jsonOf(await req("/api/v1/messages", { method: "POST", token: ADMIN, json: { content: "Read-only window <b>tonight</b>", severity: "warning" } }), 201);
});
afterAll(() => {
  uninstallOutbound();
  jwksCache.clear();
});

const page = async (path: string, cookie: string | null = b.cookie) => {
  const res = await SELF.fetch(`${HTTPS}${path}`, { headers: cookie ? { Cookie: cookie } : {}, redirect: "manual" });
  return { res, text: await res.text() };
};

describe("web UI", () => {
  it("renders every page with the strict CSP, the CSRF token and no external asset", async () => {
    const paths = [
      "/ui",
      `/ui/projects/${project.id}`,
      `/ui/repos/${ociRepo.id}`,
      `/ui/repos/${ociRepo.id}/images/${encodeURIComponent("web/app")}`,
      `/ui/repos/${npmRepo.id}`,
      `/ui/repos/${npmRepo.id}/packages/${encodeURIComponent("tools/cli.bin")}`,
      `/ui/repos/${ociRepo.id}/access?user=${b.me.username}`,
      `/ui/audit?project_id=${project.id}`,
      "/ui/tokens",
      "/ui/search",
      "/ui/search?q=web%2Fapp",
    ];
    for (const path of paths) {
      const { res, text } = await page(path);
      expect(res.status, `${path}: ${text.slice(0, 500)}`).toBe(200);
      expect(res.headers.get("content-security-policy"), path).toContain("default-src 'none'");
      expect(res.headers.get("content-security-policy"), path).toContain("script-src 'self'");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(text, path).toContain(`<meta name="csrf-token" content="${b.csrf}">`);
      expect(text, path).not.toMatch(/(src|href)="(https?:)?\/\//);
      expect(text, path).not.toMatch(/<script>|style="|onclick=/);
      // The banner, escaped.
      expect(text, path).toContain("Read-only window &lt;b&gt;tonight&lt;/b&gt;");
      expect(new TextEncoder().encode(text).byteLength, path).toBeLessThan(100 * 1024);
    }
  });

  it("shows an image's tags, pull command and tag history with restore buttons", async () => {
    const { text } = await page(`/ui/repos/${ociRepo.id}/images/${encodeURIComponent("web/app")}`);
    expect(text).toContain(`registry.test/${project.slug}/${ociRepo.slug}/web/app:v2`);
    expect(text).toMatch(/data-copy="copy-\d+"/);
    expect(text).toContain("Tag history");
    expect(text).toMatch(/data-api="\/api\/v1\/repos\/[^"]+\/tags\/v1\/restore"/);
    // Only digests a tag no longer points at can be restored.
    expect(text).not.toMatch(/tags\/v2\/restore/);
    expect(text).toContain("linux/amd64");
  });

  it("shows a package's files and how to fetch them", async () => {
    const { text } = await page(`/ui/repos/${npmRepo.id}/packages/${encodeURIComponent("tools/cli.bin")}`);
    expect(text).toContain(`curl -fO -H &quot;Authorization: Bearer &lt;TOKEN&gt;&quot; ${HTTPS}/generic/${project.slug}/${npmRepo.slug}/tools/cli.bin`);
    expect(text).toMatch(/data-method="PATCH"/);
  });

  it("lists a repo's images with search and sort from the query string", async () => {
    const { text } = await page(`/ui/repos/${ociRepo.id}?search=web&sort=-updated`);
    expect(text).toContain(">web/app</a>");
    expect((await page(`/ui/repos/${ociRepo.id}?search=zzz`)).text).toContain("Nothing matches.");
  });

  it("searches everything the viewer may read, each result linking to its page; not what they may not", async () => {
    const { text } = await page(`/ui/search?q=${encodeURIComponent("web/app")}`);
    const repo = `/ui/repos/${ociRepo.id}`;
    expect(text).toContain(`<a href="${repo}/images/${encodeURIComponent("web/app")}">web/app</a>`);
    expect(text).toContain(`<a href="${repo}/images/${encodeURIComponent("web/app")}">web/app:v1</a>`); // a tag, on its image's page
    const files = await page(`/ui/search?q=${encodeURIComponent("tools/cli")}&kind=version`);
    expect(files.text).toContain(`<a href="/ui/repos/${npmRepo.id}/packages/${encodeURIComponent("tools/cli.bin")}">tools/cli.bin@current</a>`);
    expect(files.text).toContain('<option value="version" selected>');
    // Another project's private image is not found; a one-letter query is explained, not a 500.
    const other = await createProject();
    const hidden = await createRepo(other.id, "docker");
    const sa = await jsonOf(await req(`/api/v1/projects/${other.id}/service_accounts`, { method: "POST", token: ADMIN, json: { name: unique("ci"), role: "writer" } }), 201);
    const token = (await jsonOf(await req(`/api/v1/projects/${other.id}/service_accounts/${sa.id}/tokens`, { method: "POST", token: ADMIN, json: { name: "t" } }), 201)).token;
    await pushImage(`${other.slug}/${hidden.slug}/web/app`, token, "v1");
    expect((await page(`/ui/search?q=${encodeURIComponent("web/app")}`)).text).not.toContain(hidden.id);
    const short = await page("/ui/search?q=a");
    expect(short.res.status).toBe(200);
    expect(short.text).toContain('role="alert"');
  });

  it("sends the anonymous to sign-in, keeping where they were going", async () => {
    const { res } = await page(`/ui/repos/${ociRepo.id}`, null);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/ui/login?return_to=${encodeURIComponent(`/ui/repos/${ociRepo.id}`)}`);
    const login = await page("/ui/login", null);
    expect(login.res.status).toBe(200);
    expect(login.text).toContain("Sign in with Test IdP");
    expect((await page("/", null)).res.headers.get("location")).toBe("/ui");
  });

  it("refuses pages of projects the viewer is not in, and hides admin sections from readers", async () => {
    const other = await createProject();
    const { res } = await page(`/ui/projects/${other.id}`);
    expect(res.status).toBe(403);
    const reader = await signIn(idp, (await jsonOf(await req("/api/admin/login-providers", { token: ADMIN }), 200)).items[0].name, unique("reader"));
    await setMember(project.id, "user", reader.me.id, "reader");
    const mine = await page(`/ui/projects/${project.id}`, reader.cookie);
    expect(mine.res.status).toBe(200);
    expect(mine.text).not.toContain("Members");
    expect(mine.text).toContain(ociRepo.slug);
  });

  it("serves its two assets, cacheable, with the right types", async () => {
    const css = await SELF.fetch(`${HTTPS}/ui/assets/app.css`);
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
    const js = await SELF.fetch(`${HTTPS}/ui/assets/app.js`);
    expect(js.headers.get("content-type")).toMatch(/^application\/javascript/);
    expect(await js.text()).toContain("X-CSRF-Token");
  });
});
