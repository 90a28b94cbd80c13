/// <reference types="vite/client" />
// The repository's own files as text, for contract tests that read sources and docs
// (Vite inlines them when the test is built; nothing is read from disk in workerd).
const strip = (files: Record<string, string>) => Object.fromEntries(Object.entries(files).map(([k, v]) => [k.replace(/^\.\.\/\.\.\//, ""), v]));

export const SOURCES: Record<string, string> = strip(import.meta.glob("../../src/**/*.ts", { query: "?raw", import: "default", eager: true }));
export const DOCS: Record<string, string> = strip(import.meta.glob(["../../docs/*.md", "../../README.md"], { query: "?raw", import: "default", eager: true }));
