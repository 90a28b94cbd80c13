/** The streaming tar writer (core/archive/tar-writer.ts) read back by core/archive/tar.ts: long and non-ASCII names, sizes past ustar's 8 GiB. */
import { describe, expect, it } from "vitest";
import { TAR_END, tarHeader, tarPadding } from "../../src/core/archive/tar-writer";
import { readTar, walkTar } from "../../src/core/archive/tar";
import { concat } from "../tar-builder";

const enc = new TextEncoder();
function archive(members: [string, Uint8Array][]): Uint8Array {
  const parts = members.flatMap(([name, data]) => [tarHeader(name, data.length, 1_700_000_000_000), data, tarPadding(data.length)]);
  return concat([...parts, TAR_END]);
}

describe("tar writer", () => {
  it("writes members readTar and walkTar read back, long and non-ASCII names through pax", async () => {
    const long = `${"deep/".repeat(40)}file.txt`;
    const members: [string, Uint8Array][] = [
      ["a.txt", enc.encode("hello")],
      [long, enc.encode("x".repeat(1000))],
      ["naïve-ünïcode.txt", enc.encode("é")],
      ["empty", new Uint8Array(0)],
      ["block", new Uint8Array(512).fill(7)],
    ];
    const tar = archive(members);
    expect(tar.length % 512).toBe(0);
    const read = readTar(tar);
    expect(read.map((e) => [e.name, e.data])).toEqual(members);
    expect(read[0]!.mtime).toBe(1_700_000_000);
    const walked: [string, Uint8Array][] = [];
    for await (const m of walkTar(new Blob([tar]).stream())) {
      const chunks: Uint8Array[] = [];
      for await (const c of m.chunks()) chunks.push(c.slice());
      walked.push([m.name, new Uint8Array(await new Blob(chunks).arrayBuffer())]);
    }
    expect(walked).toEqual(members);
  });

  it("walkTar skips what the caller leaves unread", async () => {
    const tar = archive([["skip-me", new Uint8Array(5000).fill(1)], ["read-me", enc.encode("yes")]]);
    const names: string[] = [];
    let last = "";
    for await (const m of walkTar(new Blob([tar]).stream())) {
      names.push(m.name);
      if (m.name === "read-me") for await (const c of m.chunks()) last += new TextDecoder().decode(c);
    }
    expect(names).toEqual(["skip-me", "read-me"]);
    expect(last).toBe("yes");
  });

  it("heads a member past 8 GiB with a pax size and a base-256 ustar size", () => {
    const size = 9 * 1024 ** 3 + 3;
    const h = tarHeader("huge.bin", size);
    expect(h.length).toBe(512 * 3); // pax header, its records, the member's header
    const records = new TextDecoder().decode(h.subarray(512, 1024)).replace(/\0+$/, "");
    expect(records).toBe(`${` size=${size}\n`.length + 2} size=${size}\n`);
    const main = h.subarray(1024);
    expect(main[124]! & 0x80).toBe(0x80);
    let n = main[124]! & 0x7f;
    for (const b of main.subarray(125, 136)) n = n * 256 + b;
    expect(n).toBe(size);
    // The pax header itself is a valid member readTar accepts, followed by the real header.
    const withData = new Uint8Array(h.length + 512 * 2);
    withData.set(h);
    expect(() => readTar(withData)).toThrow(/runs past the end/); // a 9 GiB member is announced, not present
  });
});
