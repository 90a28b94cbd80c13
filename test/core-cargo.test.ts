import { describe, expect, it } from "vitest";
import { crateOfIndexPath, indexEntry, indexPath, normalizeCrateName, parsePublishMetadata } from "../src/formats/cargo/crate";
import { ByteReader } from "../src/core/byte-reader";

describe("cargo index paths", () => {
  it("follows the 1/2/3/ab-cd layout, lowercased", () => {
    expect(indexPath("a")).toBe("1/a");
    expect(indexPath("ab")).toBe("2/ab");
    expect(indexPath("abc")).toBe("3/a/abc");
    expect(indexPath("Serde_Json")).toBe("se/rd/serde_json");
    expect(crateOfIndexPath("se/rd/serde_json")).toBe("serde_json");
    expect(crateOfIndexPath("3/a/abc")).toBe("abc");
    expect(crateOfIndexPath("3/b/abc")).toBeNull();
    expect(crateOfIndexPath("se/rd/Serde")).toBeNull();
    expect(crateOfIndexPath("config.json")).toBeNull();
  });
  it("treats case and -/_ as the same name", () => {
    expect(normalizeCrateName("My-Crate")).toBe(normalizeCrateName("my_crate"));
  });
});

describe("cargo publish metadata", () => {
  const base = { name: "foo", vers: "1.0.0", deps: [], features: {} };
  it("refuses bad names, versions, deps and features", () => {
    expect(() => parsePublishMetadata({ ...base, name: "1foo" })).toThrow("not a valid crate name");
    expect(() => parsePublishMetadata({ ...base, vers: "1.0" })).toThrow("semver");
    expect(() => parsePublishMetadata({ ...base, deps: [{ name: "x" }] })).toThrow("version_req");
    expect(() => parsePublishMetadata({ ...base, features: { a: [1] } })).toThrow("features");
    expect(() => parsePublishMetadata([])).toThrow("object");
  });
  it("builds the index entry: renamed deps, other registries, features2", () => {
    const meta = parsePublishMetadata({
      ...base,
      deps: [
        { name: "rand", version_req: "^0.8", features: ["std"], optional: true, default_features: false, target: null, kind: "normal", registry: null, explicit_name_in_toml: "random" },
        { name: "other", version_req: "=1.2.3", kind: "dev", registry: "sparse+https://elsewhere/index/" },
      ],
      features: { default: ["std"], std: [], extra: ["dep:random"] },
      rust_version: "1.70",
    });
    const e = indexEntry(meta, "ab".repeat(32));
    expect(e.deps[0]).toEqual({ name: "random", package: "rand", req: "^0.8", features: ["std"], optional: true, default_features: false, target: null, kind: "normal" });
    expect(e.deps[1]).toMatchObject({ name: "other", req: "=1.2.3", kind: "dev", registry: "sparse+https://elsewhere/index/" });
    expect(e.features).toEqual({ default: ["std"], std: [] });
    expect(e.features2).toEqual({ extra: ["dep:random"] });
    expect(e.v).toBe(2);
    expect(e.rust_version).toBe("1.70");
    expect(e.cksum).toBe("ab".repeat(32));
  });
});

describe("ByteReader", () => {
  it("reads exact prefixes across chunk boundaries, then streams the rest", async () => {
    const chunks = [[5, 0], [0, 0, 1, 2], [3, 4, 5, 9, 9], [9]];
    const stream = new ReadableStream<Uint8Array>({ start: (c) => (chunks.forEach((x) => c.enqueue(new Uint8Array(x))), c.close()) });
    const r = new ByteReader(stream);
    expect(await r.readUint32LE()).toBe(5);
    expect([...(await r.readExact(5))!]).toEqual([1, 2, 3, 4, 5]);
    expect([...new Uint8Array(await new Response(r.rest()).arrayBuffer())]).toEqual([9, 9, 9]);
  });
  it("reports a body that ends early", async () => {
    const r = new ByteReader(new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array([1, 2])), c.close()) }));
    expect(await r.readExact(3)).toBeNull();
  });
});
