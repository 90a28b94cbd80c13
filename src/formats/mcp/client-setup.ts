/**
 * Client set-up for MCP server catalogs (core/client-setup.ts): ToolHive (its registry
 * API mode, else its registry file), VS Code and GitHub Copilot, browsing and searching
 * with curl, publishing, status. The base URL a registry client takes is the catalog's
 * root (it appends `v0.1/servers…`); `<base>/mcp/-/` is every catalog the caller reads.
 */
import { TOKEN, section, type SetupContext, type SetupSection } from "../../core/client-setup";

export function mcpClientSetup(c: SetupContext): SetupSection[] {
  const auth = c.anonymousRead ? "" : `-H "Authorization: Bearer ${TOKEN}" `;
  const name = c.pkg.includes("/") ? c.pkg : `com.example/${c.pkg}`;
  const base = c.url.replace(/\/$/, "");
  const privateIp = c.url.startsWith("http://") ? " --allow-private-ip" : "";
  const editors = c.anonymousRead
    ? "VS Code (setting `chat.mcp.gallery.serviceUrl`, or the `McpGalleryServiceUrl` policy) and GitHub Copilot (organization or enterprise policy \"MCP Registry URL\") read the catalog with no credentials."
    : "VS Code and GitHub Copilot read a registry with no credentials: make this catalog public first (repository visibility), then use the setting below.";
  return [
    c.anonymousRead
      ? section("toolhive", "Use the catalog in ToolHive", "ToolHive's registry API mode reads the catalog live (search, pagination); it sends no credentials, so it needs a public catalog.", null, [
          `thv config set-registry-api ${base}${privateIp}`,
          "thv registry list",
        ])
      : section("toolhive", "Use the catalog in ToolHive", "ToolHive reads a private catalog as its registry file (registry.json), with a read token as the URL's password (its API mode sends no credentials).", null, [
          `thv config set-registry ${c.url.replace("://", `://ci:${TOKEN}@`)}registry.json${privateIp}`,
          "thv registry list",
        ]),
    section("vscode", "Use the catalog in VS Code and GitHub Copilot", editors, ["settings.json", JSON.stringify({ "chat.mcp.gallery.enabled": true, "chat.mcp.gallery.serviceUrl": base }, null, 2)], []),
    section("browse", "Browse and search the catalog (MCP registry API)", "The MCP registry's v0.1 API: cursor pages, `search` (name, description, tools, tags), `transport`, `verified=true`, `version=latest`, `updated_since`. `/mcp/-/v0.1/servers` searches every catalog you may read.", null, [
      `curl -f ${auth}'${c.url}v0.1/servers?version=latest&search=weather'`,
      `curl -f ${auth}${c.url}v0.1/servers/${encodeURIComponent(name)}/versions/latest`,
      `curl -f ${auth}'${c.baseUrl.replace(/\/$/, "")}/mcp/-/v0.1/servers?search=weather&verified=true'`,
    ]),
    section("publish", "Publish a server version", "Body: a server.json (the MCP registry's format). A version is immutable once published; CI can publish with an OIDC-exchanged token.", null, [
      `curl -f -H "Authorization: Bearer ${TOKEN}" -H "Content-Type: application/json" --data-binary @server.json ${c.url}v0/publish`,
    ]),
    section("status", "Deprecate, delete or remove a version", "Status `active`, `deprecated` or `deleted` (hidden from listings, kept); DELETE moves the version to the repository's trash.", null, [
      `curl -f -X PATCH -H "Authorization: Bearer ${TOKEN}" -H "Content-Type: application/json" -d '{"status":"deprecated","statusMessage":"use 2.x"}' ${c.url}v0/servers/${encodeURIComponent(name)}/versions/${c.ver}/status`,
      `curl -f -X DELETE -H "Authorization: Bearer ${TOKEN}" ${c.url}v0/servers/${encodeURIComponent(name)}/versions/${c.ver}`,
    ]),
  ];
}
