/**
 * The UI's only static assets: one stylesheet and one script, served by the Worker
 * (no build step, no external fonts or CDNs), so the CSP can say `'self'` and nothing else.
 *
 * The script is the whole client: it turns `form[data-api]` and `button[data-api]` into
 * fetch calls to the governance API (same origin, cookie credentials, the page's CSRF
 * token in `X-CSRF-Token`), shows the answer, and copies text. Without it pages still
 * read fine; actions need it.
 */
import { VERSION } from "../version";

export const ASSET_VERSION = `${VERSION}-2`;

export const APP_CSS = `
:root{--fg:#1b1f24;--muted:#4d5561;--bg:#fff;--panel:#f5f7fa;--line:#d0d7de;--accent:#0b57d0;--accent-fg:#fff;--danger:#b3261e;--ok:#146c2e;--warn:#7a4b00;--focus:#0b57d0}
*{box-sizing:border-box}
html{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
body{margin:0}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible,main:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
main:focus{outline:none}
.skip{position:absolute;left:-999px;top:0;background:var(--accent);color:var(--accent-fg);padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--panel)}
.brand{font-weight:700;text-decoration:none;color:var(--fg);font-size:1.1rem}
.top nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
.who{margin-left:auto;display:flex;gap:.75rem;align-items:center}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
.crumbs ol{display:flex;flex-wrap:wrap;list-style:none;margin:0;padding:.5rem 1rem 0;max-width:72rem;margin:0 auto;gap:.25rem}
.crumbs li+li::before{content:"/";margin-right:.25rem;color:var(--muted)}
.banner{padding:.5rem 1rem;border-bottom:1px solid var(--line)}
.banner-info{background:#e8f0fe}.banner-warning{background:#fff4d6}.banner-error{background:#fde7e7}
.card{border:1px solid var(--line);border-radius:8px;padding:1rem;margin:0 0 1rem;background:var(--bg)}
.narrow{max-width:28rem;margin:2rem auto}
.muted{color:var(--muted)}
.mono,code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9rem}
pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.75rem;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere}
.table-wrap{overflow-x:auto;margin:0 0 1rem}
table{border-collapse:collapse;width:100%;min-width:20rem}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;background:var(--panel)}
caption{text-align:left;padding:.25rem 0}
td.num,th.num{text-align:right}
.break{overflow-wrap:anywhere;word-break:break-all}
button,.button{font:inherit;display:inline-block;padding:.4rem .9rem;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:var(--accent-fg);cursor:pointer;text-decoration:none;min-height:2.5rem}
button.secondary,.button.secondary{background:var(--bg);color:var(--accent)}
button.danger{background:var(--danger);border-color:var(--danger)}
button.link{background:none;border:none;color:var(--accent);text-decoration:underline;padding:0;min-height:auto}
form.inline{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin:.5rem 0 1rem}
form.stack{display:grid;gap:.75rem;max-width:32rem}
label{display:flex;flex-direction:column;gap:.2rem;font-weight:600;font-size:.95rem}
label.check{flex-direction:row;align-items:center;gap:.4rem;font-weight:400}
input,select,textarea{font:inherit;padding:.4rem .5rem;border:1px solid #6e7781;border-radius:6px;background:var(--bg);color:var(--fg);min-height:2.5rem}
fieldset{border:1px solid var(--line);border-radius:6px}
.tabs{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;margin:0 0 1rem;border-bottom:1px solid var(--line)}
.tabs a{display:inline-block;padding:.4rem 0}
.tabs a[aria-current=page]{font-weight:700;border-bottom:3px solid var(--accent);text-decoration:none;color:var(--fg)}
.pill{display:inline-block;padding:0 .5rem;border-radius:999px;background:var(--panel);border:1px solid var(--line);font-size:.85rem}
.meter{width:100%;max-width:32rem;height:1.25rem}
.copy-row{display:flex;gap:.5rem;align-items:flex-start;flex-wrap:wrap}
.copy-row pre{flex:1 1 16rem;margin:0}
.secret{background:#fff4d6;border:1px solid #c69026;border-radius:6px;padding:.75rem;margin:1rem 0}
.toast{position:fixed;bottom:1rem;left:50%;transform:translateX(-50%);background:var(--fg);color:var(--bg);padding:.5rem 1rem;border-radius:6px;display:none;max-width:90vw}
.toast.show{display:block}
.toast.error{background:var(--danger);color:#fff}
.pager{display:flex;gap:1rem;align-items:center;margin:.5rem 0 1rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 1rem}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0;overflow-wrap:anywhere}
@media (max-width:40rem){main{padding:.75rem}dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.5rem}.who{margin-left:0}}
`;

export const APP_JS = `"use strict";
(function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var toastEl = document.getElementById("toast");
  function toast(text, isError) {
    if (!toastEl) return;
    toastEl.textContent = text;
    toastEl.className = "toast show" + (isError ? " error" : "");
    clearTimeout(toast.t);
    toast.t = setTimeout(function () { toastEl.className = "toast"; }, 4000);
  }
  function api(method, path, body) {
    var headers = { Accept: "application/json", "X-CSRF-Token": csrf };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, { method: method, credentials: "include", headers: headers, body: body === undefined ? undefined : JSON.stringify(body) }).then(function (res) {
      return res.text().then(function (text) {
        var data = text ? JSON.parse(text) : null;
        if (res.status === 401) { location.href = "/ui/login?return_to=" + encodeURIComponent(location.pathname + location.search); throw new Error("signed out"); }
        if (!res.ok) throw new Error(data && data.error ? data.error.message + " (" + data.error.code + ")" : "HTTP " + res.status);
        return data;
      });
    });
  }
  function fill(template, values) {
    return template.replace(/\\{([a-z_]+)\\}/g, function (_, k) { return encodeURIComponent(values[k] == null ? "" : values[k]); });
  }
  function valueOf(el) {
    var t = el.getAttribute("data-type");
    if (el.type === "checkbox") return el.checked;
    var v = el.value;
    if (v === "" && el.hasAttribute("data-optional")) return undefined;
    if (v === "" && el.hasAttribute("data-null")) return null;
    if (t === "number") return Number(v);
    if (t === "list") return v.split(/[\\s,]+/).filter(Boolean);
    if (t === "json") return JSON.parse(v);
    return v;
  }
  function after(el, data) {
    var then = el.getAttribute("data-then") || "reload";
    if (then === "reload") { location.reload(); return; }
    if (then.indexOf("go:") === 0) { location.href = fill(then.slice(3), data || {}); return; }
    if (then === "show-secret") {
      var out = document.getElementById(el.getAttribute("data-secret-target"));
      if (out) {
        out.hidden = false;
        out.querySelector("pre").textContent = data.token;
        out.querySelector("pre").focus();
      }
      toast("Created. Copy the token now: it is shown only once.");
      return;
    }
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches("form[data-api]")) return;
    e.preventDefault();
    var values = {};
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled) return;
      var v = valueOf(el);
      values[el.name] = v;
      if (v !== undefined && !el.hasAttribute("data-path-only")) body[el.name] = v;
    });
    var msg = form.getAttribute("data-confirm");
    if (msg && !confirm(msg)) return;
    var method = form.getAttribute("data-method") || "POST";
    var submit = form.querySelector('[type="submit"]');
    if (submit) submit.disabled = true;
    api(method, fill(form.getAttribute("data-api"), values), method === "DELETE" ? undefined : body)
      .then(function (data) { after(form, data); })
      .catch(function (err) { toast(err.message, true); })
      .then(function () { if (submit) submit.disabled = false; });
  });
  document.addEventListener("click", function (e) {
    var el = e.target.closest("button");
    if (!el) return;
    if (el.getAttribute("data-action") === "logout") {
      api("POST", "/auth/logout").then(function () { location.href = "/ui/login"; }).catch(function (err) { toast(err.message, true); });
      return;
    }
    if (el.hasAttribute("data-copy")) {
      var source = document.getElementById(el.getAttribute("data-copy"));
      var text = source ? source.textContent : "";
      var done = function () { toast("Copied to the clipboard"); el.setAttribute("data-copied", "true"); };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(source); done(); });
      else { fallbackCopy(source); done(); }
      return;
    }
    if (el.hasAttribute("data-api") && !el.form) {
      var msg = el.getAttribute("data-confirm");
      if (msg && !confirm(msg)) return;
      var body = el.hasAttribute("data-body") ? JSON.parse(el.getAttribute("data-body")) : undefined;
      el.disabled = true;
      api(el.getAttribute("data-method") || "POST", el.getAttribute("data-api"), body)
        .then(function (data) { after(el, data); })
        .catch(function (err) { toast(err.message, true); el.disabled = false; });
    }
  });
  document.addEventListener("change", function (e) {
    if (!e.target.matches("[data-scope]")) return;
    var form = e.target.form;
    var picked = Array.prototype.filter.call(form.querySelectorAll("[data-scope]"), function (b) { return b.checked; }).map(function (b) { return b.value; });
    form.querySelector("[data-scopes-json]").value = picked.length ? JSON.stringify(picked) : "null";
  });
  function fallbackCopy(source) {
    if (!source) return;
    var range = document.createRange();
    range.selectNodeContents(source);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    try { document.execCommand("copy"); } catch (err) {}
  }
})();
`;
