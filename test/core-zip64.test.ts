/**
 * core/zip reads ZIP64 archives as CPython's zipfile writes them (test/fixtures/zip64.ts):
 * the ZIP64 end record through its locator, and each entry's ZIP64 extra field. What a
 * ZIP64 archive may claim is bounds-checked like the rest: a missing locator, a directory
 * out of bounds or an impossible count is a 400 `InvalidZip`, never a crash.
 */
import { describe, expect, it } from "vitest";
import { bytesSource, readCentralDirectory, readEntry } from "../src/core/zip";
import { fromBase64 } from "./fixtures/os-packages";
import { ZIP64_FILES, ZIP64_METADATA, ZIP64_WHEEL, ZIP64_WHEEL_MARKED } from "./fixtures/zip64";

const text = new TextDecoder();
const lastIndexOf = (bytes: Uint8Array, sig: number[]) => {
  for (let i = bytes.length - sig.length; i >= 0; i--) if (sig.every((b, j) => bytes[i + j] === b)) return i;
  return -1;
};
const EOCD = [0x50, 0x4b, 0x05, 0x06];
const LOCATOR = [0x50, 0x4b, 0x06, 0x07];
const ZIP64_EOCD = [0x50, 0x4b, 0x06, 0x06];
const CENTRAL = [0x50, 0x4b, 0x01, 0x02];

async function contents(bytes: Uint8Array) {
  const src = bytesSource(bytes);
  const entries = await readCentralDirectory(src);
  return Object.fromEntries(await Promise.all(entries.map(async (e) => [e.name, text.decode(await readEntry(src, e, 1 << 20))] as const)));
}

/** The archive with `edit` applied to a copy of its bytes. */
const edited = (b64: string, edit: (bytes: Uint8Array, v: DataView) => void) => {
  const bytes = fromBase64(b64);
  edit(bytes, new DataView(bytes.buffer));
  return bytes;
};

describe("ZIP64 archives", () => {
  it("the fixtures are ZIP64 where it counts: every entry's sizes in its extra field, the marked one's end record pointing to the ZIP64 record", () => {
    const marked = fromBase64(ZIP64_WHEEL_MARKED);
    const v = new DataView(marked.buffer);
    const eocd = lastIndexOf(marked, EOCD);
    expect([v.getUint16(eocd + 10, true), v.getUint32(eocd + 12, true), v.getUint32(eocd + 16, true)]).toEqual([0xffff, 0xffffffff, 0xffffffff]);
    expect(lastIndexOf(marked, LOCATOR)).toBe(eocd - 20);
    const firstCentral = marked.findIndex((_, i) => CENTRAL.every((b, j) => marked[i + j] === b));
    expect([v.getUint32(firstCentral + 20, true), v.getUint32(firstCentral + 24, true)]).toEqual([0xffffffff, 0xffffffff]);
  });

  it("reads every entry of both forms, sizes and offsets from the ZIP64 fields, checked against their CRC-32", async () => {
    for (const archive of [ZIP64_WHEEL, ZIP64_WHEEL_MARKED]) {
      const files = await contents(fromBase64(archive));
      expect(Object.keys(files)).toEqual(ZIP64_FILES);
      expect(files["zsixty-1.0.0.dist-info/METADATA"]).toBe(ZIP64_METADATA);
      expect(files["zsixty/__init__.py"]).toBe("VALUE = 64\n".repeat(20));
      expect(files["zsixty-1.0.0.dist-info/RECORD"]).toBe("");
    }
  });

  it("refuses a ZIP64 archive whose records do not hold together, with InvalidZip", async () => {
    const refusal = async (bytes: Uint8Array) => {
      const e = await readCentralDirectory(bytesSource(bytes)).then(
        () => null,
        (err: unknown) => err as { code: string; status: number; message: string },
      );
      expect(e, "refused").not.toBeNull();
      expect([e!.code, e!.status]).toEqual(["InvalidZip", 400]);
      return e!.message;
    };
    const at = (b: Uint8Array, sig: number[]) => lastIndexOf(b, sig);
    expect(await refusal(edited(ZIP64_WHEEL_MARKED, (b) => b.set([0, 0, 0, 0], at(b, LOCATOR))))).toMatch(/locator missing/);
    expect(await refusal(edited(ZIP64_WHEEL_MARKED, (b) => b.set([0, 0, 0, 0], at(b, ZIP64_EOCD))))).toMatch(/record is corrupt/);
    // The central directory's offset past the ZIP64 record; past 2^53; its entry count past what its size holds.
    expect(await refusal(edited(ZIP64_WHEEL_MARKED, (b, v) => v.setBigUint64(at(b, ZIP64_EOCD) + 48, BigInt(b.length), true)))).toMatch(/out of bounds/);
    expect(await refusal(edited(ZIP64_WHEEL_MARKED, (b, v) => v.setBigUint64(at(b, ZIP64_EOCD) + 48, 1n << 60n, true)))).toMatch(/out of range/);
    expect(
      await refusal(
        edited(ZIP64_WHEEL_MARKED, (b, v) => {
          v.setBigUint64(at(b, ZIP64_EOCD) + 24, 1n << 40n, true);
          v.setBigUint64(at(b, ZIP64_EOCD) + 32, 1n << 40n, true);
        }),
      ),
    ).toMatch(/too short for its entry count/);
    // An entry marked ZIP64 whose extra field is not the ZIP64 one.
    expect(
      await refusal(
        edited(ZIP64_WHEEL, (b, v) => {
          const central = b.findIndex((_, i) => CENTRAL.every((x, j) => b[i + j] === x));
          const extra = central + 46 + v.getUint16(central + 28, true);
          v.setUint16(extra, 0x5455, true);
        }),
      ),
    ).toMatch(/no ZIP64 field/);
  });
});
