/**
 * Every protocol the registry speaks, each a Hono sub-app mounted at its prefix with
 * the error renderer its clients understand. Adding a format = adding one entry here.
 */
import type { Hono } from "hono";
import type { AppEnv } from "../http/types";
import type { ErrorRenderer } from "../http/errors";
import { npmApp, renderNpmError } from "./npm";
import { pypiApp, renderPypiError } from "./pypi";

export interface FormatMount {
  prefix: string;
  app: Hono<AppEnv>;
  renderError: ErrorRenderer;
}

export const formatMounts: FormatMount[] = [
  { prefix: "/npm", app: npmApp, renderError: renderNpmError },
  { prefix: "/pypi", app: pypiApp, renderError: renderPypiError },
];
