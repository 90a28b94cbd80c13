/** Client set-up for Helm's classic chart repositories (core/client-setup.ts). */
import { TOKEN, section, type SetupContext, type SetupSection } from "../../core/client-setup";

export function helmClassicClientSetup(c: SetupContext): SetupSection[] {
  const creds = c.anonymousRead ? "" : ` --username token --password ${TOKEN}`;
  const file = `${c.pkg}-${c.ver}.tgz`;
  return [
    section("repo", "Add the repository", "Helm keeps the URL and credentials in its repositories.yaml.", null, [`helm repo add ${c.name} ${c.url}${creds}`, "helm repo update"]),
    section("install", "Install a chart", "", null, [`helm install my-release ${c.name}/${c.pkg} --version ${c.ver}`]),
    section("upload", "Upload a chart", "ChartMuseum's API: the packaged chart as the body, or multipart fields chart and prov (provenance from helm package --sign).", null, [
      `helm package ./${c.pkg}`,
      `curl -f -u token:${TOKEN} --data-binary @${file} ${c.url}api/charts`,
      `curl -f -u token:${TOKEN} -F chart=@${file} -F prov=@${file}.prov ${c.url}api/charts`,
    ]),
    section("delete", "Delete a chart version", "", null, [`curl -f -u token:${TOKEN} -X DELETE ${c.url}api/charts/${c.pkg}/${c.ver}`]),
  ];
}
