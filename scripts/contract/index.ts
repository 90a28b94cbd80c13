// What scripts/contract.mjs runs under Node: the generated docs and the governance API
// (for its OpenAPI document).
export { GENERATED_DOCS } from "./docs";
export { buildApi } from "../../src/api";
