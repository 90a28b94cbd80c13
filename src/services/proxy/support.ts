/**
 * What a format gives the proxy domain (through its descriptor's `upstream`), as types,
 * and the registry the format table fills when the Worker starts: services can't import
 * formats (they sit above), so mirroring, which runs from a queue, looks formats up here.
 */
import type { Scope } from "../scope";
import type { UpstreamClient } from "./upstream-client";

export interface MirrorSupport {
  /** The versions (or tags) the upstream has of a package (or image). */
  versions: (scope: Scope, client: UpstreamClient, name: string) => Promise<string[]>;
  /** Caches one version (tag): everything a client installing it would fetch. True when it is in the repo. */
  copy: (scope: Scope, client: UpstreamClient, name: string, version: string) => Promise<boolean>;
}

export interface VirtualSupport {
  /** The package (lookup key) a request path names, or null (an index, a ping). */
  packageOf: (rest: string) => string | null;
  /**
   * Whether a read merges every member's answer (metadata: a packument, a simple page,
   * maven-metadata.xml) rather than taking the first member that has it.
   */
  merges: (rest: string) => boolean;
  /**
   * What each member is asked for a merged read, when not the request itself: e.g. always
   * JSON so answers can be merged, or a checksum's document so its checksum can be
   * computed over the merged one. `rest` is the path after the repo, as the request's.
   */
  memberRequest?: (request: Request, rest: string) => { request: Request; rest: string };
  /** Merges successful member answers, in member order, into the virtual repo's answer to `request` (at `rest`). */
  merge: (answers: Response[], request: Request, rest: string) => Promise<Response>;
}

const mirrorSupport = new Map<string, MirrorSupport>();

export function registerMirrorSupport(repoFormat: string, support: MirrorSupport): void {
  mirrorSupport.set(repoFormat, support);
}

export const mirrorSupportOf = (repoFormat: string) => mirrorSupport.get(repoFormat) ?? null;
