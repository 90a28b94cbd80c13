/** Client set-up for Go modules (GOPROXY): the files and commands a user pastes (core/client-setup.ts). */
import { TOKEN, section, type SetupContext, type SetupSection } from "../../core/client-setup";

export function goClientSetup(c: SetupContext): SetupSection[] {
  const proxy = c.url.replace(/\/$/, "");
  const mod = c.pkg.includes(".") ? c.pkg : `example.com/${c.pkg}`;
  const ver = c.ver.startsWith("v") ? c.ver : `v${c.ver}`;
  const first = mod.split("/")[0];
  const creds = proxy.replace(/^(https?:\/\/)/, `$1token:${TOKEN}@`);
  return [
    section(
      "env",
      "Configure the go command",
      c.anonymousRead
        ? "Public repository: no credentials needed."
        : `The go command sends credentials only over https: use ${creds} as GOPROXY (or a ~/.netrc entry) behind TLS.`,
      null,
      [`go env -w GOPROXY=${c.anonymousRead ? proxy : creds}`, `go env -w GONOSUMDB=${first}`, `go get ${mod}@${ver}`],
    ),
    section("publish", "Publish a module", "Upload the module zip (built per the go module zip rules) and optionally its go.mod; module paths are case-escaped.", null, [
      `curl -f -u token:${TOKEN} -T ${ver}.zip ${proxy}/${mod}/@v/${ver}.zip`,
      `curl -f -u token:${TOKEN} -T go.mod ${proxy}/${mod}/@v/${ver}.mod`,
    ]),
  ];
}
