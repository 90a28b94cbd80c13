// Repo signing keys (services/trust/repo-keys.ts): a signature asked for a moment that
// predates the key (an index build takes its clock before its first use makes the key)
// is dated at the key's creation instead of failing the read (it answered 500 under load).
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import * as openpgp from "openpgp";
import { detachSign, clearSign, repoPublicKey } from "../../src/services/trust/repo-keys";
import { systemScope } from "../../src/services/lifecycle";
import { createRepo, projectWithToken } from "../helpers";

describe("repo signing keys", () => {
  it("signs with a date before the key was made, dating the signature at the key's creation", async () => {
    const { project } = await projectWithToken("writer");
    const repo = await createRepo(project.id, "rpm");
    const scope = systemScope(env, "test");
    const owner = { id: repo.id, label: "test" };
    const before = new Date(Date.now() - 60_000);
    const data = new TextEncoder().encode("repomd");
    const armored = await detachSign(scope, owner, data, before);
    const key = await openpgp.readKey({ armoredKey: (await repoPublicKey(scope, owner)).publicKeyArmored });
    const checked = await openpgp.verify({ message: await openpgp.createMessage({ binary: data }), signature: await openpgp.readSignature({ armoredSignature: armored }), verificationKeys: key });
    await expect(checked.signatures[0]!.verified).resolves.toBe(true);
    expect((await checked.signatures[0]!.signature).packets[0]!.created!.getTime()).toBeGreaterThanOrEqual(key.getCreationTime().getTime());
    await expect(clearSign(scope, owner, "Release", before)).resolves.toContain("BEGIN PGP SIGNED MESSAGE");
  });
});
