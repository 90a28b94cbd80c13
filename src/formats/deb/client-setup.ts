/** Client set-up for apt: the files and commands a user pastes (core/client-setup.ts). */
import { TOKEN, section, type SetupContext, type SetupSection } from "../../core/client-setup";
import { DEFAULT_COMPONENT, DEFAULT_DISTRIBUTION } from "./repository";

export function debClientSetup(c: SetupContext): SetupSection[] {
  const keyring = `/etc/apt/keyrings/${c.name}.asc`;
  const auth = c.anonymousRead ? "" : ` -u token:${TOKEN}`;
  const sources = `Types: deb
URIs: ${c.url}
Suites: ${DEFAULT_DISTRIBUTION}
Components: ${DEFAULT_COMPONENT}
Signed-By: ${keyring}
`;
  const machine = c.url.replace(/^https?:\/\//, "").replace(/\/$/, "");
  const sections = [
    section("key", "Trust the repository's signing key", "Every repository signs its index (InRelease) with its own key; apt checks it against this file.", null, [
      `sudo install -d -m 0755 /etc/apt/keyrings`,
      `curl -fsSL${auth} ${c.url}key.asc | sudo tee ${keyring} >/dev/null`,
    ]),
    section("sources", "Add the repository", `One deb822 source (or the one-line form: deb [signed-by=${keyring}] ${c.url} ${DEFAULT_DISTRIBUTION} ${DEFAULT_COMPONENT}).`, [`/etc/apt/sources.list.d/${c.name}.sources`, sources]),
  ];
  if (!c.anonymousRead) {
    sections.push(
      section("auth", "Credentials", "apt sends these as Basic auth to this repository only (apt_auth.conf(5)); keep the file mode 0600.", [`/etc/apt/auth.conf.d/${c.name}.conf`, `machine ${machine}\nlogin token\npassword ${TOKEN}\n`], [
        `sudo chmod 600 /etc/apt/auth.conf.d/${c.name}.conf`,
      ]),
    );
  }
  sections.push(
    section("install", "Install", "", null, ["sudo apt-get update", `sudo apt-get install ${c.pkg}`]),
    section("upload", "Upload a package", `Distribution and component default to ${DEFAULT_DISTRIBUTION} and ${DEFAULT_COMPONENT}; an optional X-Checksum-Sha256 header is verified.`, null, [
      `curl -f -u token:${TOKEN} -T ${c.pkg}_${c.ver}_amd64.deb "${c.url}upload?distribution=${DEFAULT_DISTRIBUTION}&component=${DEFAULT_COMPONENT}"`,
    ]),
  );
  return sections;
}
