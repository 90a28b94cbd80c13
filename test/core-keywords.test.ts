/** core/keywords: what the search index keeps of a format's keyword fields. */
import { describe, expect, it } from "vitest";
import { MAX_KEYWORD_CHARS, MAX_KEYWORDS, keywordList } from "../src/core/keywords";

describe("keywordList", () => {
  it("reads lists and PyPI's one string (commas when it has one, else spaces), trimmed, distinct, in order", () => {
    expect(keywordList(["json", " serde ", "json"], ["encoding"])).toEqual(["json", "serde", "encoding"]);
    expect(keywordList("terminal, ansi colours")).toEqual(["terminal", "ansi colours"]);
    expect(keywordList("terminal ansi  colours")).toEqual(["terminal", "ansi", "colours"]);
  });

  it("drops what is not a keyword and has no answer when nothing is left", () => {
    expect(keywordList([1, null, "", "  ", { a: 1 }, "ok"])).toEqual(["ok"]);
    expect(keywordList(undefined, null, 42, {}, [], "")).toBeUndefined();
  });

  it("keeps a search document bounded: at most MAX_KEYWORDS keywords of MAX_KEYWORD_CHARS characters", () => {
    const many = Array.from({ length: MAX_KEYWORDS + 10 }, (_, i) => `k${i}`);
    expect(keywordList(many)).toEqual(many.slice(0, MAX_KEYWORDS));
    expect(keywordList(["x".repeat(MAX_KEYWORD_CHARS + 5)])).toEqual(["x".repeat(MAX_KEYWORD_CHARS)]);
  });
});
