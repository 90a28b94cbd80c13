/** `/v2/<name>/tags/list?n=&last=`: tags in lexical order, with a `Link` to the next page. */
import type { Ctx } from "./http";
import { nextLink } from "./http";
import type { OciRoute } from "../../services/oci";
import { openImage, listTags } from "../../services/oci";

type TagsRoute = Extract<OciRoute, { kind: "tags" }>;

export const tags = {
  GET: async (c: Ctx, r: TagsRoute) => {
    const img = await openImage(c.var.scope, r.name, "read");
    const n = c.req.query("n");
    const page = await listTags(c.var.scope, img, n, c.req.query("last"));
    if (page.next) c.header("Link", nextLink(`/v2/${r.name}/tags/list`, n, page.next));
    return c.json({ name: r.name, tags: page.tags }, 200);
  },
};
