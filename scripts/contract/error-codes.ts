/** The generated table of docs/error-codes.md, from src/core/error-codes.ts. */
import { ERROR_CODES, ERROR_CODE_LIST } from "../../src/core/error-codes";
import { ociCodeOf, statusOf } from "../../src/core/errors";
import { replaceRegion, table } from "./markdown";

export function renderErrorCodes(): string {
  return table(
    ["code", "HTTP", "OCI code", "meaning"],
    ERROR_CODE_LIST.map((c) => [`\`${c}\``, String(statusOf(c)), `\`${ociCodeOf(c)}\``, ERROR_CODES[c].description]),
  );
}

export const errorCodesDoc = (current: string) => replaceRegion(current, "error-codes", renderErrorCodes());
