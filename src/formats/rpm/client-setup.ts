/** Client set-up for dnf/yum: the files and commands a user pastes (core/client-setup.ts). */
import { TOKEN, section, type SetupContext, type SetupSection } from "../../core/client-setup";

export function rpmClientSetup(c: SetupContext): SetupSection[] {
  const credentials = c.anonymousRead ? "" : `username=token\npassword=${TOKEN}\n`;
  const repo = `[${c.name}]
name=OrbitalReg ${c.project}/${c.repo}
baseurl=${c.url}
enabled=1
gpgcheck=1
repo_gpgcheck=1
gpgkey=${c.url}repodata/repomd.xml.key
${credentials}`;
  return [
    section(
      "repo",
      "Add the repository",
      "repo_gpgcheck verifies repomd.xml with the repository's own key. gpgcheck verifies each package's signature: add the key your packages are signed with to gpgkey (space-separated), or set gpgcheck=0 for unsigned packages.",
      [`/etc/yum.repos.d/${c.name}.repo`, repo],
      c.anonymousRead ? [] : [`sudo chmod 600 /etc/yum.repos.d/${c.name}.repo`],
    ),
    section("install", "Install", "", null, [`sudo dnf install ${c.pkg}`]),
    section("upload", "Upload a package", "The location in the repository comes from the package's header; an optional X-Checksum-Sha256 header is verified.", null, [
      `curl -f -u token:${TOKEN} -T ${c.pkg}-${c.ver}-1.x86_64.rpm ${c.url}upload`,
    ]),
  ];
}
