/** Client set-up for generic files (curl): the files and commands a user pastes (core/client-setup.ts). */
import { TOKEN, section, type SetupContext, type SetupSection } from "../../core/client-setup";

export function genericClientSetup(c: SetupContext): SetupSection[] {
  const file = `${c.url}${c.pkg}/${c.ver}/${c.pkg}-${c.ver}.tar.gz`;
  const auth = `-H "Authorization: Bearer ${TOKEN}"`;
  return [
    section("upload", "Upload a file", "Any path below the repo; an optional X-Checksum-Sha256 header is verified.", null, [
      `curl -f ${auth} -H "X-Checksum-Sha256: $(sha256sum ${c.pkg}-${c.ver}.tar.gz | cut -d' ' -f1)" -T ${c.pkg}-${c.ver}.tar.gz ${file}`,
    ]),
    section("download", "Download a file", c.anonymousRead ? "Public repository: downloads need no token." : "", null, [`curl -fO ${c.anonymousRead ? "" : `${auth} `}${file}`]),
    section("delete", "Delete a file", "", null, [`curl -f ${auth} -X DELETE ${file}`]),
  ];
}
