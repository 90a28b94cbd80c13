/**
 * A webhook receiver for tests, served through the outbound seam. It checks every
 * delivery's signature itself (its own HMAC code, not the registry's) the way a real
 * receiver would: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, fresh `t`.
 */
import { serve } from "./outbound";

export interface Received {
  event: string | null;
  delivery: string | null;
  attempt: string | null;
  signature: string | null;
  contentType: string | null;
  body: string;
  json: any;
  signatureValid: boolean;
}

let counter = 0;

export async function hmacHex(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class TestReceiver {
  readonly received: Received[] = [];
  /** What to answer: a status, or a function (throwing = network error). */
  respond: number | ((r: Received) => Response) = 200;
  readonly url: string;

  constructor(
    readonly secret = `s3cret-${crypto.randomUUID()}`,
    name = "hooks",
  ) {
    const origin = `https://${name}-${Date.now().toString(36)}-${counter++}.receiver.test`;
    this.url = `${origin}/orbitalreg`;
    serve(origin, (req) => this.handle(req));
  }

  private async handle(req: Request): Promise<Response> {
    const body = await req.text();
    const signature = req.headers.get("x-orbitalreg-signature");
    const r: Received = {
      event: req.headers.get("x-orbitalreg-event"),
      delivery: req.headers.get("x-orbitalreg-delivery"),
      attempt: req.headers.get("x-orbitalreg-attempt"),
      signature,
      contentType: req.headers.get("content-type"),
      body,
      json: JSON.parse(body),
      signatureValid: await this.verify(body, signature),
    };
    this.received.push(r);
    if (typeof this.respond !== "number") return this.respond(r);
    return new Response([204, 205, 304].includes(this.respond) ? null : "ok", { status: this.respond });
  }

  private async verify(body: string, header: string | null): Promise<boolean> {
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? "");
    if (!m) return false;
    const t = Number(m[1]);
    if (Math.abs(Date.now() / 1000 - t) > 300) return false;
    return (await hmacHex(this.secret, `${t}.${body}`)) === m[2];
  }
}
