// Applies the D1 migrations (the same files `wrangler d1 migrations apply` uses)
// to the test database before each test file.
import { applyD1Migrations, env, type D1Migration } from "cloudflare:test";

await applyD1Migrations(env.DB, (env as unknown as { TEST_MIGRATIONS: D1Migration[] }).TEST_MIGRATIONS);
