// The web UI in a real browser: Debian's chromium driven by playwright-core against
// `npm run dev`, signing in through a real OpenID provider (the oidc-provider package)
// on 127.0.0.1. The walk: sign in, create a project and a repo, mint a token, push an
// image with skopeo using it, find the image, copy its pull command, restore a tag from
// history, search for it, revoke the token, sign out; then the same walk at 390 px wide. axe-core runs
// on every page (0 serious or critical violations); screenshots land in
// test/e2e/.work/screenshots (E2E_SCREENSHOTS overrides).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import Provider from "oidc-provider";
import { chromium } from "playwright-core";
import { ADMIN, HOSTPORT, URL_, api, run, scratch, unique } from "./lib.mjs";
import { newLayout, writeImage, writeIndex, writeLayer } from "./oci-layout.mjs";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const here = dirname(fileURLToPath(import.meta.url));
const SHOTS = process.env.E2E_SCREENSHOTS ?? join(here, ".work", "screenshots");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CLIENT = { client_id: "orbitalreg-ui", client_secret: "e2e-client-secret-0123456789" };

let idp;
let idpServer;
let issuer;
const userDataDirs = [];
let work;
let env;
let policy;
let layout;
let images;
const violations = [];

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  work = scratch("web-ui");
  // A real OpenID provider: authorization code + PKCE, its own login and consent pages.
  idpServer = createServer();
  await new Promise((r) => idpServer.listen(0, "127.0.0.1", r));
  issuer = `http://127.0.0.1:${idpServer.address().port}`;
  idp = new Provider(issuer, {
    clients: [{ ...CLIENT, redirect_uris: [`${URL_}/auth/callback`], grant_types: ["authorization_code"], response_types: ["code"] }],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["preferred_username", "name"] },
    conformIdTokenClaims: false, // put email and profile claims in the ID token itself
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx, sub) {
      return { accountId: sub, claims: async () => ({ sub, email: `${sub}@example.com`, email_verified: true, preferred_username: sub, name: sub }) };
    },
  });
  idpServer.on("request", idp.callback());
  // The instance admin configures sign-in, and invites an admin user by email.
  await api("/api/admin/login-providers", {
    method: "POST",
    json: { name: "local", display_name: "Local IdP", issuer, client_id: CLIENT.client_id, client_secret: CLIENT.client_secret, provisioning: "auto" },
  });
  // skopeo, with its state in the scratch dir, and an image layout with two images.
  policy = join(work, "policy.json");
  writeFileSync(policy, JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  writeFileSync(join(work, "registries.conf"), "unqualified-search-registries = []\n");
  env = { ...process.env, HOME: work, CONTAINERS_REGISTRIES_CONF: join(work, "registries.conf"), XDG_RUNTIME_DIR: join(work, "run") };
  layout = newLayout(join(work, "layout"));
  const a = writeImage(layout, [await writeLayer(layout, "a.txt", 20_000)], "amd64");
  const b = writeImage(layout, [await writeLayer(layout, "b.txt", 30_000)], "amd64");
  writeIndex(layout, { first: a, second: b });
  images = { a, b };
});

after(async () => {
  await new Promise((r) => idpServer?.close(r));
  for (const dir of userDataDirs) rmSync(dir, { recursive: true, force: true });
  if (violations.length) console.log(JSON.stringify(violations, null, 2));
});

/** Debian's chromium with a fresh profile (never a downloaded browser). */
async function launch(width) {
  const dir = mkdtempSync(join(tmpdir(), "orbitalreg-chromium-"));
  userDataDirs.push(dir);
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width, height: width < 600 ? 844 : 900 },
    baseURL: URL_,
  });
}

const skopeo = (...args) => run("skopeo", ["--policy", policy, ...args], { env });

/** axe-core on the current page: no serious or critical violation. Evaluated over CDP, so the page's CSP stays as it is. */
async function checkA11y(page, label) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  assert.equal(result.testEngine.name, "axe-core");
  assert.ok(result.passes.length > 0, `axe ran no rule on ${label}`);
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of bad) violations.push({ page: label, id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) });
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help}`), [], `accessibility of ${label}`);
}

async function shot(page, name, width) {
  await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
}

async function visit(page, label, width) {
  await page.waitForLoadState("load");
  await checkA11y(page, `${label} @${width}`);
  await shot(page, label, width);
}

/**
 * Clicks a `data-api` button and waits for its API call's answer and then for the reload the
 * page script does on success. Waiting for "load" alone would resolve on the old page, and the
 * next step would race the click's request.
 */
async function clickAndReload(page, button, apiPath) {
  const answered = page.waitForResponse((r) => r.request().method() !== "GET" && apiPath.test(new URL(r.url()).pathname));
  const reloaded = page.waitForEvent("load");
  await button.click();
  const res = await answered;
  assert.ok(res.ok(), `${res.request().method()} ${res.url()} answered ${res.status()}`);
  await reloaded;
}

/** One walk in its own browser, which is closed however the walk ends (an open one keeps the test file from exiting). */
async function walk(width) {
  const context = await launch(width);
  try {
    await walkIn(context, width);
  } finally {
    await context.close();
  }
}

async function walkIn(context, width) {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: URL_ });
  const page = await context.newPage();
  const cspErrors = [];
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/.test(m.text())) cspErrors.push(m.text());
  });
  page.on("dialog", (d) => d.accept());
  const user = unique("alice").replace(/[^a-z0-9-]/g, "");
  // Invited by email as an instance admin (who may create projects); sign-in links the account.
  await api("/api/admin/users", { method: "POST", json: { username: user, email: `${user}@example.com`, is_admin: true } });

  // Sign in: the UI sends us to the provider, which asks for an account and consent.
  await page.goto("/ui");
  assert.match(page.url(), /\/ui\/login\?return_to=/);
  await visit(page, "sign-in", width);
  await page.getByRole("link", { name: "Sign in with Local IdP" }).click();
  await page.waitForURL((u) => u.href.startsWith(issuer));
  await page.locator('input[name="login"]').fill(user);
  await page.locator('input[name="password"]').fill("any");
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((u) => u.href.startsWith(issuer) && /consent|interaction/.test(u.href));
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(`${URL_}/ui`);
  await visit(page, "projects", width);

  // Create a project and a repo.
  const slug = unique("web").replace(/[^a-z0-9-]/g, "");
  await page.getByLabel("Slug").fill(slug);
  await page.getByRole("button", { name: "Create project" }).click();
  await page.waitForURL(/\/ui\/projects\//);
  await visit(page, "project", width);
  const projectUrl = page.url();
  await page.getByLabel("Team name").fill("platform");
  await page.getByLabel("Project role").selectOption("writer");
  await page.getByRole("button", { name: "Create team" }).click();
  await page.getByRole("link", { name: "platform" }).click();
  await page.waitForURL(/\/teams\/platform/);
  await page.getByLabel("User name or id").fill(user);
  await page.getByRole("button", { name: "Add member" }).click();
  await page.getByRole("cell", { name: "added by an admin" }).waitFor();
  await visit(page, "team", width);
  await page.goto(projectUrl);
  await page.getByLabel("Repository name").fill("images");
  await page.getByLabel("Format").selectOption("docker");
  await page.getByRole("button", { name: "Create repository" }).click();
  await page.waitForURL(/\/ui\/repos\//);
  const repoUrl = page.url();

  // Mint a token; its plaintext is shown once.
  await page.goto("/ui/tokens");
  await page.getByLabel("Name").fill("skopeo");
  await page.getByRole("button", { name: "Create token" }).click();
  const secret = page.locator("#new-token-value");
  await secret.waitFor({ state: "visible" });
  const token = (await secret.textContent()).trim();
  assert.match(token, /^orbu_/);
  await visit(page, "tokens", width);

  // Push two images to the same tag with skopeo and that token: the tag moves.
  const dest = `docker://${HOSTPORT}/${slug}/images/app:v1`;
  skopeo("copy", "--dest-tls-verify=false", "--dest-creds", `${user}:${token}`, `oci:${layout}:first`, dest);
  skopeo("copy", "--dest-tls-verify=false", "--dest-creds", `${user}:${token}`, `oci:${layout}:second`, dest);

  // The repo's first page: one response of HTML (no API call from the browser), under 100 KB with its assets.
  const fetches = [];
  page.on("request", (r) => ["fetch", "xhr"].includes(r.resourceType()) && fetches.push(r.url()));
  await page.goto(repoUrl);
  const transferred = await page.evaluate(() =>
    [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")].reduce((n, e) => n + (e.transferSize || e.encodedBodySize || 0), 0),
  );
  assert.ok(transferred > 0 && transferred < 100 * 1024, `repo page transferred ${transferred} bytes`);
  assert.deepEqual(fetches, []);
  console.log(`# repo page at ${width} px: ${transferred} bytes transferred, ${fetches.length} API calls from the browser`);

  // Find the image in the UI and copy its pull command.
  await page.getByLabel("Name contains").fill("app");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL(/search=app/);
  await visit(page, "repository", width);
  await page.getByRole("link", { name: "app", exact: true }).click();
  await page.waitForURL(/\/images\/app/);
  await visit(page, "image", width);
  await page.getByRole("button", { name: "Copy pull command for app:v1" }).first().click();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, `docker pull ${HOSTPORT}/${slug}/images/app:v1`);

  // Restore v1 to the first image from the tag history.
  const repoId = new URL(repoUrl).pathname.split("/").pop();
  const before = await api(`/api/v1/repos/${repoId}/images/app/tags`);
  assert.equal(before.items[0].digest, images.b.digest);
  await clickAndReload(page, page.getByRole("button", { name: `Restore v1 to ${images.a.digest.slice(7, 19)}…` }), /\/tags\/v1\/restore$/);
  const afterRestore = await api(`/api/v1/repos/${repoId}/images/app/tags`);
  assert.equal(afterRestore.items[0].digest, images.a.digest);

  // Search finds the image from any page; its result opens the image's page.
  await page.getByRole("link", { name: "Search", exact: true }).click();
  await page.waitForURL(/\/ui\/search$/);
  await page.getByLabel("Name, description or keyword").fill("app");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.waitForURL(/\/ui\/search\?q=app/);
  await visit(page, "search", width);
  await page.locator(`a[href="/ui/repos/${repoId}/images/app"]`).first().click();
  await page.waitForURL(new RegExp(`/ui/repos/${repoId}/images/app$`));

  // Why can this user write here? The transitive view explains it.
  await page.goto(repoUrl);
  await page.getByLabel("Why can this user… (user name or id)").fill(user);
  await page.getByRole("button", { name: "Explain" }).click();
  await page.waitForURL(/\/access\?user=/);
  await visit(page, "access", width);

  // A generic file pushed with the same token shows as a package with its install command.
  const files = await api("/api/v1/repos", { method: "POST", json: { project_id: new URL(projectUrl).pathname.split("/").pop(), slug: "files", format: "generic" } });
  run("curl", ["-sf", "-u", `${user}:${token}`, "-T", join(work, "policy.json"), `${URL_}/generic/${slug}/files/tools/policy.json`]);
  await page.goto(`/ui/repos/${files.id}/packages/${encodeURIComponent("tools/policy.json")}`);
  await page.getByRole("heading", { name: "tools/policy.json" }).waitFor();
  await visit(page, "package", width);

  // Revoke the token: skopeo is refused from now on.
  await page.goto("/ui/tokens");
  await clickAndReload(page, page.getByRole("button", { name: "Revoke token skopeo" }), /\/api\/v1\/user\/apptoken\/[^/]+$/);
  await page.getByRole("cell", { name: "revoked" }).waitFor();
  assert.throws(() => skopeo("inspect", "--tls-verify=false", "--creds", `${user}:${token}`, dest), /401|unauthorized|authentication/i);

  // The audit log shows it all; webhooks with their deliveries.
  await page.goto("/ui/audit");
  await visit(page, "audit", width);
  const hook = await api("/api/admin/webhooks", { method: "POST", json: { name: unique("hook"), url: "http://127.0.0.1:9/hook", secret: "s".repeat(32), events: ["*"] } });
  await page.goto("/ui/webhooks");
  await visit(page, "webhooks", width);
  await page.goto(`/ui/webhooks/${hook.id}`);
  await clickAndReload(page, page.getByRole("button", { name: "Send a ping" }), /\/ping$/);
  await page.getByRole("button", { name: /^Redeliver ping/ }).first().waitFor();
  await visit(page, "webhook", width);

  // Sign out: the session is gone.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/ui\/login/);
  await page.goto("/ui");
  assert.match(page.url(), /\/ui\/login/);
  assert.deepEqual(cspErrors, []);
}

test("the web UI walk at 1280 px", { timeout: 300_000 }, () => walk(1280));
test("the web UI walk at 390 px", { timeout: 300_000 }, () => walk(390));
