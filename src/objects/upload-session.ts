/**
 * One Durable Object per in-progress blob upload (OCI chunked/resumable pushes).
 * Invariant: all state transitions of one upload are serialized through this object.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export class UploadSession extends DurableObject<Env> {
  async status(): Promise<{ exists: boolean }> {
    return { exists: (await this.ctx.storage.get("state")) !== undefined };
  }
}
