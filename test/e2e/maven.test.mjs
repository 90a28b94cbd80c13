// Real Maven against a private repo: `mvn deploy` of a release and two SNAPSHOT builds,
// then a second project that resolves them from the repo (plugins come from Debian's
// /usr/share/maven-repo; Maven Central is unreachable).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { URL_, run, scratch, setup } from "./lib.mjs";

const pom = (version, repoUrl, body = "") => `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example.orb</groupId><artifactId>hello</artifactId><version>${version}</version><packaging>jar</packaging>
  <properties><maven.compiler.source>17</maven.compiler.source><maven.compiler.target>17</maven.compiler.target><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
  <distributionManagement>
    <repository><id>orb</id><url>${repoUrl}</url></repository>
    <snapshotRepository><id>orb</id><url>${repoUrl}</url></snapshotRepository>
  </distributionManagement>${body}
</project>
`;

function settings(dir, token) {
  const file = join(dir, "settings.xml");
  writeFileSync(
    file,
    `<settings>
  <servers><server><id>orb</id><username>ci</username><password>${token}</password></server></servers>
  <mirrors><mirror><id>debian</id><mirrorOf>central</mirrorOf><url>file:///usr/share/maven-repo</url></mirror></mirrors>
</settings>
`,
  );
  return file;
}

function library(dir, version, repoUrl, greeting) {
  mkdirSync(join(dir, "src/main/java/com/example/orb"), { recursive: true });
  writeFileSync(join(dir, "pom.xml"), pom(version, repoUrl));
  writeFileSync(join(dir, "src/main/java/com/example/orb/Hello.java"), `package com.example.orb;\npublic class Hello { public static String greet() { return "${greeting}"; } }\n`);
}

test("mvn deploys a release and SNAPSHOTs, and a second project resolves them", async () => {
  const { project, repo, token } = await setup("maven");
  const work = scratch("maven");
  const repoUrl = `${URL_}/maven/${project.slug}/${repo.slug}`;
  const s = settings(work, token);
  const mvn = (cwd, local, ...args) => run("mvn", ["-B", "-q", "-s", s, `-Dmaven.repo.local=${join(work, local)}`, ...args], { cwd });

  library(join(work, "rel"), "1.0.0", repoUrl, "release");
  mvn(join(work, "rel"), "m2-producer", "deploy", "-DskipTests");
  library(join(work, "snap1"), "1.1.0-SNAPSHOT", repoUrl, "snapshot one");
  mvn(join(work, "snap1"), "m2-producer", "deploy", "-DskipTests");
  library(join(work, "snap2"), "1.1.0-SNAPSHOT", repoUrl, "snapshot two");
  mvn(join(work, "snap2"), "m2-producer", "deploy", "-DskipTests");

  const auth = ["-u", `ci:${token}`];
  const meta = run("curl", ["-sf", ...auth, `${repoUrl}/com/example/orb/hello/maven-metadata.xml`]);
  assert.match(meta, /<release>1.0.0<\/release>/);
  assert.match(meta, /<latest>1.1.0-SNAPSHOT<\/latest>/);
  const snap = run("curl", ["-sf", ...auth, `${repoUrl}/com/example/orb/hello/1.1.0-SNAPSHOT/maven-metadata.xml`]);
  assert.match(snap, /<buildNumber>2<\/buildNumber>/);
  const sha256 = run("curl", ["-sf", ...auth, `${repoUrl}/com/example/orb/hello/1.0.0/hello-1.0.0.jar.sha256`]);
  assert.match(sha256, /^[a-f0-9]{64}$/);
  // a release is immutable: deploying 1.0.0 again with other bytes fails
  library(join(work, "rel2"), "1.0.0", repoUrl, "changed");
  assert.throws(() => mvn(join(work, "rel2"), "m2-producer", "deploy", "-DskipTests"), /409|Conflict/);

  for (const [version, expected] of [["1.0.0", "release"], ["1.1.0-SNAPSHOT", "snapshot two"]]) {
    const app = join(work, `app-${version}`);
    mkdirSync(join(app, "src/main/java/app"), { recursive: true });
    writeFileSync(
      join(app, "pom.xml"),
      `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>app</groupId><artifactId>app</artifactId><version>1</version>
  <properties><maven.compiler.source>17</maven.compiler.source><maven.compiler.target>17</maven.compiler.target><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
  <repositories><repository><id>orb</id><url>${repoUrl}</url><snapshots><enabled>true</enabled></snapshots></repository></repositories>
  <dependencies><dependency><groupId>com.example.orb</groupId><artifactId>hello</artifactId><version>${version}</version></dependency></dependencies>
</project>
`,
    );
    writeFileSync(join(app, "src/main/java/app/Main.java"), `package app;\npublic class Main { public static void main(String[] a) { System.out.println(com.example.orb.Hello.greet()); } }\n`);
    mvn(app, `m2-consumer-${version}`, "package", "-DskipTests");
    const cp = `${join(app, "target/classes")}:${join(work, `m2-consumer-${version}`, "com/example/orb/hello", version)}/*`;
    assert.equal(run("java", ["-cp", cp, "app.Main"]).trim(), expected);
  }
});
