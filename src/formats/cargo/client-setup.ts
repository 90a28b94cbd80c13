/** Client set-up for Cargo: the files and commands a user pastes (core/client-setup.ts). */
import { TOKEN, section, type SetupContext, type SetupSection } from "../../core/client-setup";

export function cargoClientSetup(c: SetupContext): SetupSection[] {
  const index = `sparse+${c.url}index/`;
  return [
    section(
      "config",
      "Configure Cargo",
      "A sparse registry (Cargo 1.68 or newer).",
      ["~/.cargo/config.toml", `[registry]\nglobal-credential-providers = ["cargo:token"]\n\n[registries.${c.name}]\nindex = "${index}"\n`],
      [`cargo login --registry ${c.name} ${TOKEN}`],
    ),
    section("publish", "Publish", "", null, [`cargo publish --registry ${c.name}`, `cargo yank --registry ${c.name} ${c.pkg}@${c.ver}`]),
    section("use", "Depend on a crate", "", ["Cargo.toml", `[dependencies]\n${c.pkg} = { version = "${c.ver}", registry = "${c.name}" }\n`], [`cargo add ${c.pkg}@${c.ver} --registry ${c.name}`]),
  ];
}
