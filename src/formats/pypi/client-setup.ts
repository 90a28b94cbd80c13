/** Client set-up for PyPI (pip, twine): the files and commands a user pastes (core/client-setup.ts). */
import { TOKEN, section, type SetupContext, type SetupSection } from "../../core/client-setup";

export function pypiClientSetup(c: SetupContext): SetupSection[] {
  const simple = `${c.url}simple/`;
  const withCreds = simple.replace(/^(https?:\/\/)/, `$1__token__:${TOKEN}@`);
  return [
    section(
      "pypirc",
      "Configure twine",
      "Upload with the user __token__ and a token as password.",
      ["~/.pypirc", `[distutils]\nindex-servers =\n    ${c.name}\n\n[${c.name}]\nrepository = ${c.url}\nusername = __token__\npassword = ${TOKEN}\n`],
      [`twine upload -r ${c.name} dist/*`, `twine upload --repository-url ${c.url} -u __token__ -p ${TOKEN} dist/*`],
    ),
    section(
      "pip",
      "Configure pip",
      c.anonymousRead ? "Public repository: pip needs no credentials." : "pip reuses the index credentials for the file downloads.",
      ["~/.config/pip/pip.conf", `[global]\nindex-url = ${c.anonymousRead ? simple : withCreds}\n`],
      [`pip install ${c.pkg}==${c.ver}`, `pip install --index-url ${c.anonymousRead ? simple : withCreds} ${c.pkg}==${c.ver}`],
    ),
  ];
}
