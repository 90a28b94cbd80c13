import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";
import { sigstoreSigner } from "./test/support/sigstore-signer.mjs";

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      main: "./src/index.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ORBITALREG_ADMIN_TOKEN: "test-admin-token",
          // Pinned (a developer's .dev.vars may say "true"): tests serve issuers and
          // receivers on public-looking names through the outbound seam, and check
          // that private targets are refused.
          ORBITALREG_ALLOW_PRIVATE_WEBHOOKS: "false",
          TEST_MIGRATIONS: await readD1Migrations(fileURLToPath(new URL("./migrations", import.meta.url))),
        },
        // A private Fulcio + CT log + Rekor in Node (test/support/sigstore-signer.mjs):
        // the sigstore tests ask it to sign what they push.
        serviceBindings: { SIGSTORE: sigstoreSigner() },
      },
    })),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**"],
    setupFiles: ["./test/setup.ts"],
    // Tests run on a 2-core machine shared with other work: a test that moves a few
    // megabytes through R2 and a Durable Object took 5 s alone and failed at vitest's
    // 5 s default when the machine was busy. Tests assert behaviour, never speed, so
    // every test gets ample time; the heaviest (multi-MiB uploads) set more themselves.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
