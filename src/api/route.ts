/**
 * Route declaration helper: every governance route gets the bearer security scheme and
 * the standard error responses, so the OpenAPI document is complete without repeating
 * them in each file.
 */
import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import { ErrorSchema } from "./schemas";

const err = (description: string) => ({ description, content: { "application/json": { schema: ErrorSchema } } });

export const STANDARD_ERRORS = {
  400: err("Invalid request (InvalidRequest, Invalid…)"),
  401: err("No or invalid credentials (Unauthorized…)"),
  403: err("The credential does not allow this (Forbidden…)"),
  404: err("Not found (NotFound…)"),
  409: err("Conflict with the current state (Conflict…)"),
  500: err("Internal error"),
} as const;

export function apiRoute<R extends Omit<RouteConfig, "path"> & { path: string }>(config: R) {
  return createRoute({
    security: [{ bearerAuth: [] }],
    ...config,
    responses: { ...STANDARD_ERRORS, ...config.responses },
  });
}

export const json = <T>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T>(schema: T) => ({
  body: { required: true, content: { "application/json": { schema } } },
});
