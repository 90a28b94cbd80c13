/**
 * The MCP registry's published OpenAPI document (vendored, test/fixtures/mcp-registry/),
 * as JSON-schema validators for its components: every v0 response a test reads is
 * checked against it. @cfworker/json-schema runs in workerd (no code generation).
 */
import { Validator } from "@cfworker/json-schema";
import { parse } from "yaml";
import text from "../fixtures/mcp-registry/openapi.yaml?raw";

const doc = parse(text) as { components: Record<string, unknown> };

const validators = new Map<string, Validator>();

/** The errors of `value` against `#/components/schemas/<component>` (none: it conforms). */
export function openApiErrors(component: string, value: unknown): string[] {
  let v = validators.get(component);
  if (!v) {
    v = new Validator({ $id: "https://registry.test/mcp-openapi", $ref: `#/components/schemas/${component}`, components: doc.components } as never, "2020-12", false);
    validators.set(component, v);
  }
  const r = v.validate(value);
  return r.valid ? [] : r.errors.map((e) => `${e.instanceLocation} ${e.keyword}: ${e.error}`);
}

/** The schema of an operation's response: used for the error bodies the document declares. */
export function responseSchemaErrors(path: string, method: string, status: string, value: unknown): string[] {
  const paths = (parse(text) as { paths: Record<string, Record<string, { responses: Record<string, { content: { "application/json": { schema: unknown } } }> }>> }).paths;
  const schema = paths[path]?.[method]?.responses[status]?.content["application/json"].schema;
  if (!schema) return [`the document declares no ${status} for ${method} ${path}`];
  const r = new Validator({ ...(schema as object), components: doc.components } as never, "2020-12", false).validate(value);
  return r.valid ? [] : r.errors.map((e) => `${e.instanceLocation} ${e.keyword}: ${e.error}`);
}
