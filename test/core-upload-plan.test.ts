/** The upload session's decisions, table by table (core/upload-plan.ts). */
import { describe, expect, it } from "vitest";
import { MAX_DIRECT_PART, MAX_PARTS, MIN_PART_SIZE, PART_SIZE, checkStart, endedShort, isWholePart, nextPartNumber, offsetOf, partKey, partSizeFor, tailKeys, tailPieces } from "../src/core/upload-plan";

const MiB = 1024 * 1024;

describe("upload plan", () => {
  it.each([
    ["a first 16 MiB chunk sets the part size", { offset: 0 }, 16 * MiB, 16 * MiB],
    ["a first 5 MiB chunk (R2's smallest part) sets it", { offset: 0 }, MIN_PART_SIZE, MIN_PART_SIZE],
    ["a first chunk under R2's smallest part gets the default", { offset: 0 }, 4 * MiB, PART_SIZE],
    ["a first chunk over the direct-part limit gets the default", { offset: 0 }, MAX_DIRECT_PART + 1, PART_SIZE],
    ["a body without a length gets the default", { offset: 0 }, null, PART_SIZE],
    ["a later chunk can't choose (the upload already holds bytes)", { offset: 3 * MiB }, 16 * MiB, PART_SIZE],
    ["once set, it never changes", { offset: 6 * MiB, partSize: 6 * MiB }, 16 * MiB, 6 * MiB],
    ["once set, even a length-less body keeps it", { offset: 0, partSize: 12 * MiB }, null, 12 * MiB],
  ])("part size: %s", (_what, state, length, expected) => {
    expect(partSizeFor(state, length)).toBe(expected);
  });

  it.each([
    [0, null, { ok: true }],
    [0, 0, { ok: true }],
    [1000, 1000, { ok: true }],
    [1000, 0, { ok: false, expected: 1000 }],
    [0, 5, { ok: false, expected: 0 }],
  ])("a chunk at offset %i saying it starts at %s", (offset, start, expected) => {
    expect(checkStart(offset, start)).toEqual(expected);
  });

  it.each([
    ["exactly one part on a boundary", 0, 8 * MiB, 8 * MiB, true],
    ["one part, but tail bytes wait before it", 100, 8 * MiB, 8 * MiB, false],
    ["shorter than a part", 0, 8 * MiB, 3 * MiB, false],
    ["longer than a part", 0, 8 * MiB, 9 * MiB, false],
    ["no length", 0, 8 * MiB, null, false],
  ])("whole part: %s", (_what, tailBytes, partSize, length, expected) => {
    expect(isWholePart({ tailBytes }, partSize, length)).toBe(expected);
  });

  it("numbers parts up to R2's limit", () => {
    expect(nextPartNumber(0)).toBe(1);
    expect(nextPartNumber(MAX_PARTS - 1)).toBe(MAX_PARTS);
    expect(nextPartNumber(MAX_PARTS)).toBeNull();
  });

  it("keeps offset = parts × part size + tail, or the segment's size", () => {
    expect(offsetOf({ offset: 0, parts: 3, tailPieces: 2, tailBytes: 1500 }, 8 * MiB)).toBe(24 * MiB + 1500);
    expect(offsetOf({ offset: 0, parts: 0, tailPieces: 0, tailBytes: 0, segment: { size: 42 } }, 8 * MiB)).toBe(42);
  });

  it("tells a short body from a whole one", () => {
    expect(endedShort(100, 99)).toBe(true);
    expect(endedShort(100, 100)).toBe(false);
    expect(endedShort(null, 0)).toBe(false);
  });

  it("keys parts and tail pieces in order, numbering new pieces on from the stored ones", () => {
    expect(partKey(7)).toBe("part:00007");
    expect(tailKeys(3)).toEqual(["tail:0000", "tail:0001", "tail:0002"]);
    const cut = tailPieces(2, new Uint8Array(2500), 1000);
    expect(cut.map((p) => [p.key, p.bytes.byteLength])).toEqual([["tail:0002", 1000], ["tail:0003", 1000], ["tail:0004", 500]]);
    expect(tailPieces(0, new Uint8Array(0))).toEqual([]);
  });
});
