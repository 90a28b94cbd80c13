/**
 * Every protocol the registry speaks, each a Hono sub-app mounted at its prefix with
 * the error renderer its clients understand. Adding a format = adding one entry here.
 */
import type { Hono } from "hono";
import type { AppEnv } from "../http/types";
import { renderPlainError, type ErrorRenderer } from "../http/errors";
import { ociMount } from "./oci";
import { genericApp } from "./generic";
import { cargoApp, renderCargoError } from "./cargo";
import { goApp } from "./go";
import { mavenApp } from "./maven";
import { npmApp, renderNpmError } from "./npm";
import { pypiApp, renderPypiError } from "./pypi";

export interface FormatMount {
  prefix: string;
  app: Hono<AppEnv>;
  renderError: ErrorRenderer;
}

export const formatMounts: FormatMount[] = [
  ociMount,
  { prefix: "/generic", app: genericApp, renderError: renderPlainError },
  { prefix: "/cargo", app: cargoApp, renderError: renderCargoError },
  { prefix: "/go", app: goApp, renderError: renderPlainError },
  { prefix: "/maven", app: mavenApp, renderError: renderPlainError },
  { prefix: "/npm", app: npmApp, renderError: renderNpmError },
  { prefix: "/pypi", app: pypiApp, renderError: renderPypiError },
];
