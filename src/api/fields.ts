/** Schema helpers for routes whose every field carries a description in the OpenAPI document. */
import type { z } from "@hono/zod-openapi";
import { At, pathParam } from "./schemas";

/** `schema` with a description. */
export const d = <T extends z.ZodTypeAny>(schema: T, description: string) => schema.describe(description) as T;
/** An RFC 3339 time, described. */
export const at = At;
export { pathParam };
