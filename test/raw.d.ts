// Vite's `?raw` imports (tests read documentation files as text).
declare module "*?raw" {
  const text: string;
  export default text;
}

// workerd's node:async_hooks (nodejs_compat); only what the call counter uses.
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    run<R>(store: T, fn: () => R): R;
    getStore(): T | undefined;
  }
}
