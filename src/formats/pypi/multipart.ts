/**
 * A streaming `multipart/form-data` reader, so an uploaded wheel flows to R2 without
 * being buffered (`Request.formData()` would hold the whole body in memory).
 *
 * Invariants:
 * - Parts are read strictly in order; `next()` discards whatever the caller left
 *   unread of the current part.
 * - At most one chunk plus one delimiter's worth of bytes is held at a time: a part's
 *   body is released as soon as the bytes can't be the start of a delimiter.
 * - Headers are capped (16 KiB per part) and a text field is capped by `text(max)`;
 *   a body that ends before the closing delimiter is an error, never a short file, and
 *   one that breaks off (a failed read, or an end before its Content-Length) is
 *   `bodyBroken`, from every method and from the `body()` stream.
 *
 *   reader = new MultipartReader(body, boundary)
 *   while (part = await reader.next()):        // headers of the next part
 *     part.filename ? stream(reader.body())     // a file: consume it as a stream
 *                   : await reader.text(max)    // a field: small, buffered
 */
import { RegistryError, invalid } from "../../core/errors";
import { asBodyError, bodyBroken } from "../../core/block-reader";

const CRLF = new Uint8Array([13, 10]);
const HEADERS_END = new Uint8Array([13, 10, 13, 10]);
const MAX_HEADERS = 16 * 1024;
const BODY_CHUNK = 256 * 1024;

export interface PartInfo {
  name: string;
  filename?: string;
  contentType?: string;
}

export function boundaryOf(contentType: string | undefined | null): string {
  const m = /^multipart\/form-data\s*;(?:.*;)?\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary || boundary.length > 70) throw invalid("Multipart", "the upload must be multipart/form-data with a boundary");
  return boundary;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0]!;
  for (let i = haystack.indexOf(first, from); i !== -1 && i <= haystack.length - needle.length; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

const concat = (a: Uint8Array, b: Uint8Array) => {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

function join(pieces: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of pieces) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const truncated = () => invalid("Multipart", "the multipart body ended before its closing boundary");

function param(header: string, key: string): string | undefined {
  const m = new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, "i").exec(header) ?? new RegExp(`;\\s*${key}=([^;\\s"]+)`, "i").exec(header);
  return m ? m[1]!.replace(/\\(.)/g, "$1") : undefined;
}

export class MultipartReader {
  private readonly source: ReadableStreamDefaultReader<Uint8Array>;
  private readonly delimiter: Uint8Array;
  // The body is read as if preceded by CRLF, so the first delimiter looks like every other one.
  private buf: Uint8Array = CRLF;
  private ended = false;
  private received = 0;
  private state: "preamble" | "body" | "between" | "done" = "preamble";

  /** `declared`: the body's Content-Length, if any (a body ending short of it broke off). */
  constructor(
    body: ReadableStream<Uint8Array>,
    boundary: string,
    private readonly declared: number | null = null,
  ) {
    this.source = body.getReader();
    this.delimiter = new TextEncoder().encode(`\r\n--${boundary}`);
  }

  private async fill(): Promise<void> {
    if (this.ended) throw truncated();
    let read: ReadableStreamReadResult<Uint8Array>;
    try {
      read = await this.source.read();
    } catch (e) {
      throw asBodyError(e, this.received, this.declared);
    }
    if (read.done) {
      if (this.declared !== null && this.received < this.declared) throw bodyBroken(this.received, this.declared);
      this.ended = true;
    } else {
      this.received += read.value.byteLength;
      this.buf = concat(this.buf, read.value);
    }
  }

  private async need(n: number): Promise<void> {
    while (this.buf.length < n) await this.fill();
  }

  /** Reads up to the next delimiter, passing body bytes to `sink`; leaves the buffer just past it. */
  private async toDelimiter(sink: (bytes: Uint8Array) => void | Promise<void>, once = false): Promise<boolean> {
    for (;;) {
      const at = indexOf(this.buf, this.delimiter);
      if (at !== -1) {
        if (at > 0) await sink(this.buf.subarray(0, at));
        this.buf = this.buf.subarray(at + this.delimiter.length);
        this.state = "between";
        return true;
      }
      const safe = this.buf.length - (this.delimiter.length - 1);
      if (safe > 0) {
        await sink(this.buf.subarray(0, safe));
        this.buf = this.buf.slice(safe);
        if (once) return false;
      }
      await this.fill();
    }
  }

  /** Headers of the next part, or null after the closing delimiter. */
  async next(): Promise<PartInfo | null> {
    if (this.state === "done") return null;
    if (this.state !== "between") await this.toDelimiter(() => undefined);
    await this.need(2);
    if (this.buf[0] === 45 && this.buf[1] === 45) {
      this.state = "done";
      await this.source.cancel().catch(() => undefined);
      return null;
    }
    let end: number;
    while ((end = indexOf(this.buf, HEADERS_END)) === -1) {
      if (this.buf.length > MAX_HEADERS) throw invalid("Multipart", "a part's headers are too long");
      await this.fill();
    }
    const lines = new TextDecoder().decode(this.buf.subarray(0, end)).split("\r\n").map((l) => l.trim()).filter(Boolean);
    this.buf = this.buf.subarray(end + HEADERS_END.length);
    this.state = "body";
    const header = (n: string) => lines.find((l) => l.toLowerCase().startsWith(`${n}:`))?.slice(n.length + 1).trim();
    const disposition = header("content-disposition");
    const name = disposition ? param(disposition, "name") : undefined;
    if (!disposition || !/^form-data\b/i.test(disposition) || name === undefined) throw invalid("Multipart", "a part has no form-data name");
    return { name, filename: param(disposition, "filename"), contentType: header("content-type") };
  }

  /** The current part's content as text, refused above `max` bytes. */
  async text(max: number): Promise<string> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    await this.toDelimiter((b) => {
      size += b.length;
      if (size > max) throw new RegistryError("PayloadTooLargeField", `a form field is larger than ${max} bytes`);
      chunks.push(b);
    });
    return new TextDecoder().decode(join(chunks, size));
  }

  /**
   * The current part's content as a stream; it must be read to its end before `next()`.
   * Request bodies arrive in ~4 KiB chunks: they are regrouped into BODY_CHUNK pieces so
   * the hashing and R2 stages downstream see a few hundred chunks, not tens of thousands.
   */
  body(): ReadableStream<Uint8Array> {
    let finished = false;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const pieces: Uint8Array[] = [];
        let size = 0;
        while (!finished && size < BODY_CHUNK) {
          finished = await this.toDelimiter((b) => {
            pieces.push(b);
            size += b.length;
          }, true);
        }
        if (size > 0) controller.enqueue(join(pieces, size));
        if (finished) controller.close();
      },
    });
  }
}
