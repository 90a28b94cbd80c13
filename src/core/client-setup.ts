/**
 * Client set-up instructions for a repo: the files and commands a user pastes to use
 * it with its format's own tools, as pure functions of the repo and the registry URL.
 * This module holds the shapes and the shared context; each format builds its own
 * sections (formats/<fmt>/client-setup.ts), chosen through its descriptor.
 *
 * Invariants:
 * - URLs follow the public URL layout (DESIGN.md): `/v2` + `<host>/<project>/<repo>/<image>`
 *   for OCI, `/<format>/<project>/<repo>/` for the others; the host is the one the
 *   caller reached the registry at.
 * - Secrets are never filled in: the token is always the placeholder TOKEN, so the
 *   response can be cached, logged or shown on screen.
 * - Over plain http, each section says what its client needs to accept it
 *   (`--tls-verify=false`, `--plain-http`, `insecure-registries`, …).
 */

export const TOKEN = "<TOKEN>";

export interface SetupSection {
  id: string;
  title: string;
  description: string;
  /** A file to create or edit (`~` is the user's home), with its content. */
  filename: string | null;
  content: string | null;
  commands: string[];
}

export interface SetupInput {
  format: string;
  baseUrl: string;
  project: string;
  repo: string;
  visibility: "public" | "private";
  /** Optional package/image name and version to put into the example commands. */
  artifact?: string;
  version?: string;
}

export interface ClientSetup {
  format: string;
  registry_url: string;
  anonymous_read: boolean;
  sections: SetupSection[];
}

export const section = (id: string, title: string, description: string, file: [string, string] | null, commands: string[] = []): SetupSection => ({
  id,
  title,
  description,
  filename: file?.[0] ?? null,
  content: file?.[1] ?? null,
  commands,
});

/** What a format's set-up builder gets: the input, resolved. */
export interface SetupContext extends SetupInput {
  url: string;
  host: string;
  insecure: boolean;
  anonymousRead: boolean;
  pkg: string;
  ver: string;
  name: string;
}

/**
 * Resolves the context every format's builder reads: the repo's URL (`registryUrl`,
 * given by the format: OCI has no path prefix), whether it is plain http, and the
 * example names to put in commands.
 */
export function setupContext(input: SetupInput, registryUrl: string, exampleArtifact: string): SetupContext {
  const base = input.baseUrl.replace(/\/$/, "");
  return {
    ...input,
    url: registryUrl,
    host: new URL(base).host,
    insecure: base.startsWith("http:"),
    pkg: input.artifact || exampleArtifact,
    ver: input.version || "1.0.0",
    name: `orbitalreg-${input.repo}`.replace(/[^a-z0-9_-]/g, "-"),
    anonymousRead: input.visibility === "public",
  };
}
