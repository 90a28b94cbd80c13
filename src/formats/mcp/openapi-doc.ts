/**
 * `openapi.yaml` at a catalog's root (and at `/mcp/-/`): what ToolHive checks before it
 * takes a URL as an MCP registry API (`thv config set-registry-api`): `info.version`
 * 1.0.0 and a description naming the MCP registry's repository. It describes the read
 * routes served here, in the registry's vocabulary; the full contract is the registry's
 * own OpenAPI document (every v0 answer is tested against it).
 */
import { stringify } from "yaml";

const REGISTRY_REPO = "https://github.com/modelcontextprotocol/registry";

const get = (summary: string) => ({ get: { summary, responses: { "200": { description: "OK" } } } });

export function openApiYaml(baseUrl: string, title: string): string {
  const paths: Record<string, unknown> = {};
  for (const v of ["v0", "v0.1"]) {
    paths[`/${v}/servers`] = get("List and search servers (cursor, limit, search, version, updated_since, include_deleted, transport, verified)");
    paths[`/${v}/servers/{serverName}`] = get("The latest version of a server");
    paths[`/${v}/servers/{serverName}/versions`] = get("Every version of a server, newest first");
    paths[`/${v}/servers/{serverName}/versions/{version}`] = get("One version (`latest` allowed)");
  }
  return stringify({
    openapi: "3.1.0",
    info: { title, version: "1.0.0", description: `An MCP server registry API as defined by ${REGISTRY_REPO}, served by OrbitalReg.` },
    servers: [{ url: baseUrl }],
    paths,
  });
}
