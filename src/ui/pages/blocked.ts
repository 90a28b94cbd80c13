/**
 * `/blocked/{id}`: the why-blocked page a 451's `public_url` points at. Unauthenticated,
 * so a developer can paste it into an incident channel: HTML for browsers (the UI's
 * frame: local stylesheet, strict CSP, landmarks and a definition list), JSON for
 * `Accept: application/json`. It names what the block matches and the operator's
 * message, nothing private (services/policy `publicRefusal`: no reason, no author, no
 * project or repository). A sigstore trust policy in `enforce` mode is explained here too
 * (services/trust `publicSigstoreRefusal`): what it selects and what a signature must be.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/types";
import { publicRefusal, type PublicRefusal } from "../../services/policy";
import { publicSigstoreRefusal, type PublicSigstoreRefusal } from "../../services/trust";
import { frame, html, problemPage, send } from "../layout";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function json(r: PublicRefusal | PublicSigstoreRefusal, url: string) {
  if (r.kind === "sigstore") {
    const { kind, id, name, description, status, formats, names, keys, identities, rekor, minSignatures, predicateTypes } = r;
    return { block_id: id, kind, name, customer_message: description || null, status, formats, names, keys, identities, rekor, min_signatures: minSignatures, predicate_types: predicateTypes, public_url: url };
  }
  if (r.kind === "license") {
    return { block_id: r.id, kind: r.kind, name: r.name, customer_message: r.description || null, formats: r.formats, allow: r.allow, deny: r.deny, unknown_licenses: r.unknownAction, status: r.enabled ? "active" : "disabled", public_url: url };
  }
  return {
    block_id: r.id,
    kind: r.kind,
    format: r.format,
    package: r.package,
    versions: r.versions,
    digests: r.digests,
    customer_message: r.customerMessage,
    blocked_until: iso(r.blockedUntil),
    status: r.status,
    created_at: iso(r.createdAt),
    lifted_at: iso(r.liftedAt),
    public_url: url,
  };
}

const STATUS: Record<string, string> = { active: "In force: downloads are refused", lifted: "Lifted: downloads are allowed again", expired: "Ended", disabled: "Disabled", audit: "Audit only: downloads are served and recorded" };

function page(r: PublicRefusal | PublicSigstoreRefusal) {
  const list = (items: string[], none: string) => (items.length ? html`<ul>${items.map((v) => html`<li><code>${v}</code></li>`)}</ul>` : html`${none}`);
  if (r.kind === "sigstore") {
    const ids = r.identities.map((i) => `${i.issuer} — ${i.san ?? `/${i.san_regex}/`}`);
    return html`<section class="card" aria-labelledby="t"><h1 id="t">Refused by sigstore trust policy “${r.name}”</h1>
<p>${r.description || "Artifacts this policy selects must carry a valid signature it trusts before they can be downloaded."}</p>
<dl class="facts">
<dt>Status</dt><dd>${STATUS[r.status]}</dd>
<dt>Formats</dt><dd>${r.formats.length ? r.formats.join(", ") : "all"}</dd>
<dt>Names</dt><dd>${list(r.names, "every package and image")}</dd>
<dt>Trusted keys</dt><dd>${list(r.keys, "none")}</dd>
<dt>Trusted signer identities</dt><dd>${list(ids, "none")}</dd>
<dt>Rekor</dt><dd>${r.rekor === "required" ? "every signature must be logged" : "keyed signatures may be unlogged"}</dd>
<dt>Signers needed</dt><dd>${String(r.minSignatures)}</dd>
<dt>Attestations needed</dt><dd>${list(r.predicateTypes, "none")}</dd>
<dt>Policy id</dt><dd><code>${r.id}</code></dd>
</dl>
<p class="muted">Sign the artifact (cosign, or npm publish --provenance) as the policy asks, or ask your registry's operators (quote the policy id).</p></section>`;
  }
  if (r.kind === "license") {
    return html`<section class="card" aria-labelledby="t"><h1 id="t">Blocked by licence policy “${r.name}”</h1>
<p>${r.description || "Versions whose licence this policy refuses can't be published or downloaded."}</p>
<dl class="facts">
<dt>Status</dt><dd>${STATUS[r.enabled ? "active" : "disabled"]}</dd>
<dt>Formats</dt><dd>${r.formats.length ? r.formats.join(", ") : "all"}</dd>
<dt>Allowed licences</dt><dd>${list(r.allow, "any licence not denied")}</dd>
<dt>Denied licences</dt><dd>${list(r.deny, "none")}</dd>
<dt>Unknown licences</dt><dd>${r.unknownAction === "block" ? "refused" : "accepted"}</dd>
</dl></section>`;
  }
  const status = r.status === "active" && r.blockedUntil !== null ? `${STATUS.active} until ${iso(r.blockedUntil)}` : STATUS[r.status];
  return html`<section class="card" aria-labelledby="t"><h1 id="t">Blocked: ${r.package} (${r.format})</h1>
<p>${r.customerMessage}</p>
<dl class="facts">
<dt>Status</dt><dd>${status}</dd>
<dt>Format</dt><dd>${r.format}</dd>
<dt>Package or image</dt><dd><code>${r.package}</code></dd>
<dt>Versions</dt><dd>${list(r.versions, "every version")}</dd>
${r.digests.length ? html`<dt>Digests</dt><dd>${list(r.digests, "")}</dd>` : ""}
<dt>Blocked since</dt><dd><time datetime="${iso(r.createdAt)}">${iso(r.createdAt)}</time></dd>
${r.liftedAt !== null ? html`<dt>Lifted</dt><dd><time datetime="${iso(r.liftedAt)}">${iso(r.liftedAt)}</time></dd>` : ""}
<dt>Block id</dt><dd><code>${r.id}</code></dd>
</dl>
<p class="muted">Your registry's operators blocked this artifact. Ask them (quote the block id) if you need it.</p></section>`;
}

export async function blockedPage(c: Context<AppEnv>) {
  const id = c.req.param("id") ?? "";
  const wantsJson = (c.req.header("accept") ?? "").includes("application/json");
  const r = (await publicRefusal(c.var.scope, id)) ?? (await publicSigstoreRefusal(c.var.scope, id));
  const url = `${c.var.scope.baseUrl}/blocked/${id}`;
  if (!r) {
    if (wantsJson) return c.json({ error: { code: "NotFoundBlock", message: `no block ${id}`, request_id: c.get("requestId") } }, 404);
    return send(c, problemPage("No such block", "This link names no block of this registry.", ["Go to the registry", "/ui"]), 404);
  }
  if (wantsJson) return c.json(json(r, url), 200, { "Cache-Control": "no-store" });
  return send(c, frame({ title: r.kind === "sigstore" ? `Sigstore policy ${r.name}` : r.kind === "license" ? `Licence policy ${r.name}` : `Blocked: ${r.package}`, viewer: null, csrf: null, messages: [], body: page(r) }));
}
