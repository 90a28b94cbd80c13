/**
 * A stub upstream registry for proxy tests, served through the outbound seam: routes by
 * path, every request recorded with the headers that matter (Authorization, Range,
 * conditionals), and switches to make it fail (`down`), hang (`hang`) or hold answers
 * until released (`gate`).
 */
import { serve } from "./outbound";

export interface Seen {
  method: string;
  path: string;
  url: string;
  authorization: string | null;
  range: string | null;
  ifNoneMatch: string | null;
  accept: string | null;
}

type Route = (req: Request, url: URL) => Response | Promise<Response>;

let n = 0;

export class StubUpstream {
  readonly origin: string;
  readonly seen: Seen[] = [];
  private readonly routes = new Map<string, Route>();
  /** Every request fails (a network error) while set. */
  down = false;
  /** Every request hangs (until aborted) while set. */
  hang = false;
  private held: Promise<void> | null = null;
  private release: (() => void) | null = null;

  constructor(host = `upstream-${n++}.example.com`) {
    this.origin = `https://${host}`;
    serve(this.origin, (req) => this.handle(req));
  }

  /** Answers `path` (a Response can't be made here and reused: each answer belongs to its request). */
  on(path: string, route: Route): this {
    this.routes.set(path, route);
    return this;
  }

  /** Holds every answer until `open()` is called. */
  gate(): void {
    this.held = new Promise((r) => (this.release = r));
  }

  open(): void {
    this.release?.();
    this.held = null;
  }

  /**
   * Resolves once a request for `path` has arrived. It watches the record rather than
   * being told: a promise settled from the Worker's request context does not wake the
   * test's (workerd keeps them apart).
   */
  async arrived(path: string): Promise<void> {
    while (this.count(path) === 0) await new Promise((r) => setTimeout(r, 2));
  }

  count(path: string): number {
    return this.seen.filter((s) => s.path === path).length;
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    this.seen.push({
      method: req.method,
      path: url.pathname,
      url: req.url,
      authorization: req.headers.get("authorization"),
      range: req.headers.get("range"),
      ifNoneMatch: req.headers.get("if-none-match"),
      accept: req.headers.get("accept"),
    });
    if (this.down) throw new TypeError("connection refused (stub upstream is down)");
    if (this.hang) {
      return new Promise<Response>((_, reject) => req.signal.addEventListener("abort", () => reject(req.signal.reason)));
    }
    if (this.held) await this.held;
    const route = this.routes.get(url.pathname);
    if (!route) return new Response("not found", { status: 404 });
    return route(req, url);
  }
}

export const bytesOf = (text: string) => new TextEncoder().encode(text);

export async function digestHex(alg: "SHA-256" | "SHA-512" | "SHA-1", bytes: Uint8Array): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest(alg, bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sri512(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-512", bytes));
  return `sha512-${btoa(String.fromCharCode(...d))}`;
}

/** Reads a body to the end; a transfer broken off rejects. */
export async function readAll(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

/** Reads a body until it ends or breaks: the bytes that arrived, and whether it broke. */
export async function readUntilBroken(res: Response): Promise<{ bytes: number; broken: boolean }> {
  const reader = res.body!.getReader();
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes, broken: false };
      bytes += value.byteLength;
    }
  } catch {
    return { bytes, broken: true };
  }
}
