/** Every signed-in page, registered on the UI router. */
import type { Hono } from "hono";
import type { AppEnv } from "../../http/types";
import { page } from "../page-context";
import { homePage } from "./home";
import { projectPage } from "./project";
import { teamPage } from "./team";
import { accessPage, repoPage } from "./repo";
import { imagePage } from "./image";
import { packagePage } from "./package";
import { auditPage } from "./audit";
import { webhookPage, webhooksPage } from "./webhooks";
import { tokensPage } from "./tokens";
import { searchPage } from "./search";

export function registerPages(ui: Hono<AppEnv>) {
  ui.get("/ui", page(homePage));
  ui.get("/ui/projects/:id", page(projectPage));
  ui.get("/ui/projects/:id/teams/:team", page(teamPage));
  ui.get("/ui/repos/:id", page(repoPage));
  ui.get("/ui/repos/:id/access", page(accessPage));
  ui.get("/ui/repos/:id/images/:image", page(imagePage));
  ui.get("/ui/repos/:id/packages/:name", page(packagePage));
  ui.get("/ui/audit", page(auditPage));
  ui.get("/ui/webhooks", page(webhooksPage));
  ui.get("/ui/webhooks/:id", page(webhookPage));
  ui.get("/ui/tokens", page(tokensPage));
  ui.get("/ui/search", page(searchPage));
}
