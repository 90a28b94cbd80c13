/**
 * Client set-up instructions for a repo: the files and commands a user pastes to use
 * it with its format's own tools, as pure functions of the repo and the registry URL.
 *
 * Invariants:
 * - URLs follow the public URL layout (DESIGN.md): `/v2` + `<host>/<project>/<repo>/<image>`
 *   for OCI, `/<format>/<project>/<repo>/` for the others; the host is the one the
 *   caller reached the registry at.
 * - Secrets are never filled in: the token is always the placeholder TOKEN, so the
 *   response can be cached, logged or shown on screen.
 * - Over plain http, each section says what its client needs to accept it
 *   (`--tls-verify=false`, `--plain-http`, `insecure-registries`, …).
 */

export const TOKEN = "<TOKEN>";

export interface SetupSection {
  id: string;
  title: string;
  description: string;
  /** A file to create or edit (`~` is the user's home), with its content. */
  filename: string | null;
  content: string | null;
  commands: string[];
}

export interface SetupInput {
  format: string;
  baseUrl: string;
  project: string;
  repo: string;
  visibility: "public" | "private";
  /** Optional package/image name and version to put into the example commands. */
  artifact?: string;
  version?: string;
}

export interface ClientSetup {
  format: string;
  registry_url: string;
  anonymous_read: boolean;
  sections: SetupSection[];
}

const section = (id: string, title: string, description: string, file: [string, string] | null, commands: string[] = []): SetupSection => ({
  id,
  title,
  description,
  filename: file?.[0] ?? null,
  content: file?.[1] ?? null,
  commands,
});

interface Ctx extends SetupInput {
  url: string;
  host: string;
  insecure: boolean;
  anonymousRead: boolean;
  pkg: string;
  ver: string;
  name: string;
}

function oci(c: Ctx, helm: boolean): SetupSection[] {
  const repoPath = `${c.host}/${c.project}/${c.repo}`;
  const login = section(
    "login",
    "Log in",
    `Any user name works; the password is a token.${c.insecure ? " This registry is plain http: podman/skopeo need --tls-verify=false, Docker needs the host in insecure-registries." : ""}`,
    c.insecure && !helm ? ["/etc/docker/daemon.json", `${JSON.stringify({ "insecure-registries": [c.host] }, null, 2)}\n`] : null,
    helm
      ? [`echo ${TOKEN} | helm registry login ${c.host} --username token --password-stdin${c.insecure ? " --insecure" : ""}`]
      : [`echo ${TOKEN} | docker login ${c.host} --username token --password-stdin`, `echo ${TOKEN} | podman login ${c.host} --username token --password-stdin${c.insecure ? " --tls-verify=false" : ""}`],
  );
  if (helm) {
    const plain = c.insecure ? " --plain-http" : "";
    return [
      login,
      section("push", "Push a chart", `Charts are OCI artifacts under oci://${repoPath}.`, null, [`helm package ./${c.pkg}`, `helm push ${c.pkg}-${c.ver}.tgz oci://${repoPath}${plain}`]),
      section("pull", "Install a chart", "", null, [`helm pull oci://${repoPath}/${c.pkg} --version ${c.ver}${plain}`, `helm install my-release oci://${repoPath}/${c.pkg} --version ${c.ver}${plain}`]),
    ];
  }
  const image = `${repoPath}/${c.pkg}:${c.ver}`;
  const tls = c.insecure ? " --tls-verify=false" : "";
  return [
    login,
    section("push", "Push an image", `Images are named ${repoPath}/<image>[:<tag>]; image names may have several path segments.`, null, [
      `docker tag ${c.pkg}:${c.ver} ${image}`,
      `docker push ${image}`,
      `podman push${tls} ${c.pkg}:${c.ver} ${image}`,
    ]),
    section("pull", "Pull an image", c.anonymousRead ? "Public repository: pulls need no login." : "", null, [`docker pull ${image}`, `podman pull${tls} ${image}`, `skopeo inspect${tls} docker://${image}`]),
  ];
}

function npm(c: Ctx): SetupSection[] {
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

function pypi(c: Ctx): SetupSection[] {
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

function maven(c: Ctx): SetupSection[] {
  const id = c.name;
  const settings = `<settings>
  <servers>
    <server>
      <id>${id}</id>
      <username>token</username>
      <password>${TOKEN}</password>
    </server>
  </servers>
  <profiles>
    <profile>
      <id>${id}</id>
      <repositories>
        <repository>
          <id>${id}</id>
          <url>${c.url}</url>
          <snapshots><enabled>true</enabled></snapshots>
        </repository>
      </repositories>
    </profile>
  </profiles>
  <activeProfiles>
    <activeProfile>${id}</activeProfile>
  </activeProfiles>
</settings>
`;
  const pom = `<distributionManagement>
  <repository>
    <id>${id}</id>
    <url>${c.url}</url>
  </repository>
  <snapshotRepository>
    <id>${id}</id>
    <url>${c.url}</url>
  </snapshotRepository>
</distributionManagement>
`;
  return [
    section("settings", "Configure Maven", "Credentials and the repository, in ~/.m2/settings.xml.", ["~/.m2/settings.xml", settings]),
    section("deploy", "Deploy", "Add to pom.xml, then deploy.", ["pom.xml", pom], ["mvn deploy"]),
    section("resolve", "Resolve", "", null, [`mvn dependency:get -Dartifact=${c.pkg.includes(":") ? c.pkg : `com.example:${c.pkg}`}:${c.ver}`]),
  ];
}

function cargo(c: Ctx): SetupSection[] {
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

function go(c: Ctx): SetupSection[] {
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

function generic(c: Ctx): SetupSection[] {
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

const EXAMPLE_ARTIFACT: Record<string, string> = { docker: "my-image", helm: "my-chart", npm: "my-package", pypi: "my-package", maven: "com.example:my-lib", cargo: "my_crate", go: "example.com/my/module", generic: "my-tool" };

export function clientSetup(input: SetupInput): ClientSetup {
  const base = input.baseUrl.replace(/\/$/, "");
  const url = input.format === "docker" || input.format === "helm" ? `${new URL(base).host}/${input.project}/${input.repo}` : `${base}/${input.format}/${input.project}/${input.repo}/`;
  const c: Ctx = {
    ...input,
    url,
    host: new URL(base).host,
    insecure: base.startsWith("http:"),
    pkg: input.artifact || EXAMPLE_ARTIFACT[input.format] || "my-package",
    ver: input.version || "1.0.0",
    name: `orbitalreg-${input.repo}`.replace(/[^a-z0-9_-]/g, "-"),
    anonymousRead: input.visibility === "public",
  };
  const build: Record<string, (c: Ctx) => SetupSection[]> = {
    docker: (x) => oci(x, false),
    helm: (x) => oci(x, true),
    npm,
    pypi,
    maven,
    cargo,
    go,
    generic,
  };
  return { format: input.format, registry_url: url, anonymous_read: c.anonymousRead, sections: (build[input.format] ?? generic)(c) };
}
