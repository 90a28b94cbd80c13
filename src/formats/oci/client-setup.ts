/** Client set-up for container images and Helm charts (docker, podman, skopeo, helm): the files and commands a user pastes (core/client-setup.ts). */
import { TOKEN, section, type SetupContext, type SetupSection } from "../../core/client-setup";

export function ociClientSetup(c: SetupContext): SetupSection[] {
  const helm = c.format === "helm";
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
