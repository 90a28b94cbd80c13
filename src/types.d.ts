declare module "*.standalone.js" {
  const text: string;
  export default text;
}
// Statically imported WebAssembly modules (workerd compiles them at deploy time).
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}

declare module "spdx-expression-parse" {
  export type SpdxNode = { license: string; plus?: true; exception?: string } | { left: SpdxNode; conjunction: "and" | "or"; right: SpdxNode };
  /** Parses an SPDX license expression; throws on a syntax error or an unknown identifier. */
  export default function parse(expression: string): SpdxNode;
}

declare module "spdx-correct" {
  /** The SPDX expression a free-text licence most likely means, or null. */
  export default function correct(text: string, options?: { upgrade?: boolean }): string | null;
}

// workerd's node:async_hooks (nodejs_compat); only what db/client.ts and the test call counter use.
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    run<R>(store: T, fn: () => R): R;
    getStore(): T | undefined;
  }
}
