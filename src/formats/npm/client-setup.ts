/** Client set-up for npm: the files and commands a user pastes (core/client-setup.ts). */
import { TOKEN, section, type SetupContext, type SetupSection } from "../../core/client-setup";

export function npmClientSetup(c: SetupContext): SetupSection[] {
  const nerf = c.url.replace(/^https?:/, "");
  const scope = c.pkg.startsWith("@") ? c.pkg.slice(0, c.pkg.indexOf("/")) : null;
  return [
    section(
      "npmrc",
      "Configure npm",
      "Put this .npmrc next to package.json (or in ~/.npmrc). npm sends the token to every URL under the registry prefix, tarballs included. To use the registry for one scope only, replace the first line with `@scope:registry=…`.",
      [".npmrc", `${scope ? `${scope}:registry=${c.url}` : `registry=${c.url}`}\n${nerf}:_authToken=${TOKEN}\n`],
    ),
    section("publish", "Publish", "A version can be published once; unpublished versions can't be reused.", null, ["npm publish"]),
    section("install", "Install", "", null, [`npm install ${c.pkg}@${c.ver}`, `npm view ${c.pkg}`]),
    section("manage", "Tags, deprecation, unpublish", "", null, [`npm dist-tag add ${c.pkg}@${c.ver} stable`, `npm dist-tag ls ${c.pkg}`, `npm deprecate ${c.pkg}@${c.ver} "use a newer version"`, `npm unpublish ${c.pkg}@${c.ver}`]),
  ];
}
