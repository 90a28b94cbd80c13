/**
 * Per-repo OpenPGP signing keys (apt's InRelease, dnf's repomd.xml.asc).
 * Invariant: the private key is stored only encrypted (AES-GCM under a key derived from
 * the instance's signing-key secret, services/trust/repo-keys.ts) and no query outside
 * that module reads the column.
 */
import { sqliteTable, text, integer } from "drizzle-orm/sqlite-core";
import { repos } from "./projects";

export const repoSigningKeys = sqliteTable("repo_signing_keys", {
  repoId: text("repo_id")
    .primaryKey()
    .references(() => repos.id, { onDelete: "cascade" }),
  algorithm: text("algorithm").notNull(),
  fingerprint: text("fingerprint").notNull(),
  publicKey: text("public_key").notNull(),
  /** base64(iv ‖ AES-GCM ciphertext of the armored private key). */
  privateKeyEncrypted: text("private_key_encrypted").notNull(),
  createdAt: integer("created_at").notNull(),
});
