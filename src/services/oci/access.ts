/**
 * The gate of every OCI request: parse `<project>/<repo>/<image…>`, open the repo
 * (formats docker and helm) for the action, and for writes check the image name
 * against the repo's allowed/blocked patterns.
 */
import type { Scope } from "../scope";
import { openRepo, type OpenedRepo } from "../projects/repos";
import { assertNameAllowed } from "../artifacts/packages";
import { parseName, type ImageName } from "./names";
import type { Action } from "../../auth/principal";

export const OCI_FORMATS = ["docker", "helm"] as const;

export interface OpenedImage extends OpenedRepo {
  name: ImageName;
}

export async function openImage(scope: Scope, fullName: string, action: Action): Promise<OpenedImage> {
  const name = parseName(fullName);
  const opened = await openRepo(scope, name.project, name.repo, action, OCI_FORMATS);
  if (action === "write") assertNameAllowed(opened, name.image);
  return { ...opened, name };
}

/** Whether the caller may `action` the named image, without throwing. */
export async function mayAccess(scope: Scope, fullName: string, action: Action): Promise<OpenedImage | null> {
  try {
    return await openImage(scope, fullName, action);
  } catch {
    return null;
  }
}

export const ownerOf = (img: OpenedImage) => ({ repoId: img.repo.id, image: img.name.image });
