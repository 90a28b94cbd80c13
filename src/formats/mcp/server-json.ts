/**
 * server.json, the MCP registry's description of one server version, in zod: a mirror of
 * the `ServerDetail` component of the registry's OpenAPI document (vendored with its
 * source commit in test/fixtures/mcp-registry/; upstream generates server.schema.json
 * from the same component), plus the rules the registry states in prose (no version
 * ranges, a package version is never `latest`).
 *
 * Invariants:
 * - Objects keep fields the schema does not name (the schema allows them; `_meta` is
 *   how publishers extend it), so a stored server.json is served back as published.
 * - A refused document reports every issue with its field path, as huma (the registry's
 *   HTTP framework) does: `location` is `body.<path>`, e.g. `body.packages[0].version`.
 */
import { z } from "zod";
import { invalid } from "../../core/errors";

/** `com.example/server`: a reverse-DNS namespace, one slash, a server name. */
export const SERVER_NAME = /^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/;
/** What the registry refuses as a version: ranges and wildcards (`^1`, `~1.2`, `>=1`, `1.x`, `1.*`). */
const VERSION_RANGE = /^[\^~<>=]|\s-\s|\|\||(^|\.)[xX*](\.|$)/;

const uri = z.string().refine((s) => URL.canParse(s), "must be an absolute URI");

const input = {
  description: z.string().optional(),
  isRequired: z.boolean().optional(),
  format: z.enum(["string", "number", "boolean", "filepath"]).optional(),
  value: z.string().optional(),
  isSecret: z.boolean().optional(),
  default: z.string().optional(),
  placeholder: z.string().optional(),
  choices: z.array(z.string()).optional(),
};
const Input = z.looseObject(input);
const withVariables = { ...input, variables: z.record(z.string(), Input).optional() };
const KeyValueInput = z.looseObject({ ...withVariables, name: z.string() });

const PositionalArgument = z
  .looseObject({ ...withVariables, type: z.literal("positional"), valueHint: z.string().optional(), isRepeated: z.boolean().optional() })
  .refine((a) => a.valueHint !== undefined || a.value !== undefined, { message: "a positional argument needs valueHint or value", path: ["valueHint"] });
const NamedArgument = z.looseObject({ ...withVariables, type: z.literal("named"), name: z.string(), isRepeated: z.boolean().optional() });
const Argument = z.union([PositionalArgument, NamedArgument]);

const headers = z.array(KeyValueInput).optional();
const StdioTransport = z.looseObject({ type: z.literal("stdio") });
const StreamableHttpTransport = z.looseObject({ type: z.literal("streamable-http"), url: z.string(), headers });
const SseTransport = z.looseObject({ type: z.literal("sse"), url: uri, headers });
const Transport = z.discriminatedUnion("type", [StdioTransport, StreamableHttpTransport, SseTransport]);

const specificVersion = z
  .string()
  .min(1)
  .refine((v) => v !== "latest", "must be a specific version, not 'latest'")
  .refine((v) => !VERSION_RANGE.test(v), "must be a specific version, not a range");

const Package = z.looseObject({
  registryType: z.string(),
  registryBaseUrl: uri.optional(),
  identifier: z.string(),
  version: specificVersion.optional(),
  fileSha256: z.string().regex(/^[a-f0-9]{64}$/, "must be 64 lowercase hex digits").optional(),
  runtimeHint: z.string().optional(),
  transport: Transport,
  runtimeArguments: z.array(Argument).optional(),
  packageArguments: z.array(Argument).optional(),
  environmentVariables: z.array(KeyValueInput).optional(),
});

const Icon = z.looseObject({
  src: uri.max(255),
  mimeType: z.enum(["image/png", "image/jpeg", "image/jpg", "image/svg+xml", "image/webp"]).optional(),
  sizes: z.array(z.string().regex(/^(\d+x\d+|any)$/, "must be WxH or 'any'")).optional(),
  theme: z.enum(["light", "dark"]).optional(),
});

const Repository = z.looseObject({ url: uri, source: z.string(), id: z.string().optional(), subfolder: z.string().optional() });

export const ServerDetail = z.looseObject({
  $schema: uri.optional(),
  name: z.string().min(3).max(200).regex(SERVER_NAME, "must be reverse-DNS namespace/name, e.g. com.example/weather"),
  description: z.string().min(1).max(100),
  title: z.string().min(1).max(100).optional(),
  repository: Repository.optional(),
  version: z.string().min(1).max(255).refine((v) => v !== "latest" && !VERSION_RANGE.test(v), "must be a specific version (not 'latest', not a range)"),
  websiteUrl: uri.optional(),
  icons: z.array(Icon).optional(),
  packages: z.array(Package).optional(),
  remotes: z.array(z.discriminatedUnion("type", [StreamableHttpTransport, SseTransport])).optional(),
  _meta: z.record(z.string(), z.unknown()).optional(),
});

export type ServerJson = z.infer<typeof ServerDetail>;
export type ServerPackage = z.infer<typeof Package>;

/** One refused field, huma's `ErrorDetail`. */
export interface FieldIssue {
  location: string;
  message: string;
  value?: unknown;
}

const location = (path: readonly PropertyKey[]) => "body" + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");

function valueAt(doc: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = doc;
  for (const p of path) v = v && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** Validates a parsed server.json; refuses with `InvalidServerJson` listing every issue. */
export function parseServerJson(doc: unknown): ServerJson {
  const r = ServerDetail.safeParse(doc);
  if (r.success) return r.data;
  const issues: FieldIssue[] = r.error.issues.map((i) => {
    const v = valueAt(doc, i.path);
    return { location: location(i.path), message: i.message, ...(v !== undefined && typeof v !== "object" ? { value: v } : {}) };
  });
  throw invalid("ServerJson", `server.json is not valid: ${issues.map((i) => `${i.location}: ${i.message}`).join("; ")}`, { detail: issues });
}
