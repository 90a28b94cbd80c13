/**
 * A scanner with the internal JWT reports findings (filed as a `scan` token's are), and
 * they show on the version and manifest views of /api/v1 as a summary.
 */
import { describe, expect, it } from "vitest";
import { ADMIN, jsonOf, mintToken, req } from "../helpers";
import { ociRepo, pushImage } from "../oci-helpers";
import { internal, npmRepo, publishNpm } from "./support";

const post = (body: unknown) => internal("/internal/scanner/findings", { method: "POST", json: body });

describe("findings from the internal API", () => {
  it("files a report and shows its counts on the versions list, per version", async () => {
    const { repo, base, token } = await npmRepo();
    await publishNpm(base, token, "summed", "1.0.0", { "a.js": "1" });
    await publishNpm(base, token, "summed", "1.1.0", { "a.js": "2" });
    const r = await post({
      artifact: { repo_id: repo.id, name: "summed", version: "1.0.0" },
      scanner: { name: "grype", version: "0.80" },
      findings: [
        { identifier: "CVE-2026-1", severity: "critical" },
        { identifier: "CVE-2026-2", severity: "high" },
        { identifier: "CVE-2026-3", severity: "high" },
      ],
    });
    expect(r.res.status, r.text()).toBe(201);
    const ids = r.json().findings.map((f: any) => f.id);
    await jsonOf(await req(`/api/v1/detection/findings/${ids[2]}`, { method: "PATCH", token: ADMIN, json: { status: "accepted", justification: "not reachable" } }), 200);

    const list = await jsonOf(await req(`/api/v1/repos/${repo.id}/packages/summed/versions`, { token }), 200);
    const [v1, v2] = list.items;
    expect(v1.findings).toMatchObject({
      total: 3,
      by_severity: { critical: 1, high: 2, medium: 0, low: 0, info: 0 },
      by_status: { open: 2, accepted: 1, false_positive: 0, fixed: 0 },
      open_by_severity: { critical: 1, high: 1 },
    });
    expect(v2.findings).toMatchObject({ total: 0, by_status: { open: 0 } });
    const linked = await jsonOf(await req(v1.findings.list_url.replace(/^https?:\/\/[^/]+/, ""), { token }), 200);
    expect(linked.items.map((f: any) => f.identifier).sort()).toEqual(["CVE-2026-1", "CVE-2026-2", "CVE-2026-3"]);
  });

  it("files findings on an image by digest and shows them on the manifest's detail", async () => {
    const { repo, project, sa, name } = await ociRepo("writer");
    const token = await mintToken(project.id, sa.id);
    const { manifest } = await pushImage(name, token, "1.0");
    const r = await post({ artifact: { repo_id: repo.id, name: "app", digest: manifest.digest }, scanner: { name: "trivy" }, findings: [{ identifier: "CVE-2026-9", severity: "medium" }] });
    expect(r.res.status, r.text()).toBe(201);
    const detail = await jsonOf(await req(`/api/v1/repos/${repo.id}/images/app/manifests/${manifest.digest}`, { token }), 200);
    expect(detail.findings).toMatchObject({ total: 1, open_by_severity: { medium: 1 } });
    expect(detail.findings.list_url).toContain(encodeURIComponent(manifest.digest));
  });

  it("imports SARIF too, and refuses a report on an unknown artifact with the API's 404", async () => {
    const { repo, base, token } = await npmRepo();
    await publishNpm(base, token, "sarifed", "1.0.0", { "a.js": "1" });
    const sarif = { version: "2.1.0", runs: [{ tool: { driver: { name: "semgrep", rules: [{ id: "js.eval", properties: { "security-severity": "8.1" } }] } }, results: [{ ruleId: "js.eval", message: { text: "eval" }, locations: [{ physicalLocation: { artifactLocation: { uri: "package/a.js" } } }] }] }] };
    const r = await internal("/internal/scanner/imports", { method: "POST", json: { artifact: { repo_id: repo.id, name: "sarifed", version: "1.0.0" }, format: "sarif", document: sarif } });
    expect(r.res.status, r.text()).toBe(201);
    expect(r.json()).toMatchObject({ created: 1, findings: [{ identifier: "js.eval", severity: "high", path: "package/a.js" }] });
    const missing = await post({ artifact: { repo_id: repo.id, name: "sarifed", version: "9.0.0" }, scanner: { name: "x" }, findings: [] });
    expect(missing.res.status).toBe(404);
  });
});
