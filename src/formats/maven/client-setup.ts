/** Client set-up for Maven: the files and commands a user pastes (core/client-setup.ts). */
import { TOKEN, section, type SetupContext, type SetupSection } from "../../core/client-setup";

export function mavenClientSetup(c: SetupContext): SetupSection[] {
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
