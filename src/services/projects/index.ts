/**
 * Projects and repos: where artifacts live, and the gate every protocol request passes.
 *
 * Invariants of the domain:
 * - A project owns repos; a repo has one format for life, a visibility, a state
 *   (`read_only` refuses writes) and name patterns its packages must pass.
 * - `openRepo` is the one way a protocol request reaches a repo: anonymous callers get
 *   401 for anything not public (they learn nothing about what exists), identified
 *   callers 404/403; the lookup is cached per isolate and cleared by every change.
 * - Listings show only what the caller may see (`visibleProjectIds`).
 */
export * from "./projects";
export * from "./repos";
export * from "./visibility";
