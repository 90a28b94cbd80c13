/** Client set-up for MCP server catalogs (core/client-setup.ts): ToolHive, MCP registry clients, publishing. */
import { TOKEN, section, type SetupContext, type SetupSection } from "../../core/client-setup";

export function mcpClientSetup(c: SetupContext): SetupSection[] {
  const auth = c.anonymousRead ? "" : `-H "Authorization: Bearer ${TOKEN}" `;
  const name = c.pkg.includes("/") ? c.pkg : `com.example/${c.pkg}`;
  return [
    section("toolhive", "Use the catalog in ToolHive", "thv reads the catalog as its registry file (registry.json); `thv registry list` then shows the servers.", null, [
      `thv config set-registry ${c.url}registry.json${c.url.startsWith("http://") ? " --allow-private-ip" : ""}`,
      "thv registry list",
    ]),
    section("browse", "Browse the catalog (MCP registry API)", "The MCP registry's v0 API: cursor-paginated, `search`, `version=latest`, `updated_since`.", null, [
      `curl -f ${auth}'${c.url}v0/servers?version=latest'`,
      `curl -f ${auth}${c.url}v0/servers/${encodeURIComponent(name)}/versions/latest`,
    ]),
    section("publish", "Publish a server version", "Body: a server.json (the MCP registry's format). A version is immutable once published; CI can publish with an OIDC-exchanged token.", null, [
      `curl -f -H "Authorization: Bearer ${TOKEN}" -H "Content-Type: application/json" --data-binary @server.json ${c.url}v0/publish`,
    ]),
    section("status", "Deprecate or delete a version", "Status `active`, `deprecated` or `deleted` (hidden from listings).", null, [
      `curl -f -X PATCH -H "Authorization: Bearer ${TOKEN}" -H "Content-Type: application/json" -d '{"status":"deprecated","statusMessage":"use 2.x"}' ${c.url}v0/servers/${encodeURIComponent(name)}/versions/${c.ver}/status`,
    ]),
  ];
}
