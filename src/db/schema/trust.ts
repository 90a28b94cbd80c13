/**
 * Trust: what the registry vouches for (its repos' OpenPGP signing keys) and what it
 * checks before it vouches (scan findings, thresholds, promotion gates).
 *
 * Invariants:
 * - A repo's private signing key is stored only encrypted (AES-GCM under a key derived
 *   from the instance's signing-key secret, services/trust/repo-keys.ts) and no query
 *   outside that module reads the column.
 * - A finding belongs to one artifact of one repo: `subject_type` `package` (name, version)
 *   or `image` (name, manifest digest in `subject_version`), and is unique there by its
 *   `fingerprint` (scanner + identifier + component + path): a scanner that reports it
 *   again updates it, it never duplicates.
 */
import { sqliteTable, text, integer, real, uniqueIndex, index } from "drizzle-orm/sqlite-core";
import { projects, repos } from "./projects";
import { FINDING_KINDS, FINDING_STATUSES, SEVERITIES, SIGSTORE_MODES, SIGSTORE_REKOR } from "../../core/vocabulary";

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

export const SUBJECT_TYPES = ["package", "image"] as const;

export const findings = sqliteTable(
  "findings",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    repoId: text("repo_id")
      .notNull()
      .references(() => repos.id, { onDelete: "cascade" }),
    subjectType: text("subject_type", { enum: SUBJECT_TYPES }).notNull(),
    /** Package name (the format's lookup key) or image name. */
    subjectName: text("subject_name").notNull(),
    /** Package version, or the image manifest's digest. */
    subjectVersion: text("subject_version").notNull(),
    /** The content concerned: a package file's digest (null: the version as a whole) or the manifest digest. */
    subjectDigest: text("subject_digest"),
    identifier: text("identifier").notNull(),
    aliases: text("aliases", { mode: "json" }).$type<string[]>().notNull().default([]),
    kind: text("kind", { enum: FINDING_KINDS }).notNull(),
    severity: text("severity", { enum: SEVERITIES }).notNull(),
    cvssScore: real("cvss_score"),
    cvssVector: text("cvss_vector"),
    summary: text("summary").notNull().default(""),
    componentName: text("component_name"),
    componentVersion: text("component_version"),
    path: text("path"),
    fixedIn: text("fixed_in", { mode: "json" }).$type<string[]>().notNull().default([]),
    scannerName: text("scanner_name").notNull(),
    scannerVersion: text("scanner_version"),
    evidence: text("evidence", { mode: "json" }).$type<unknown>(),
    fingerprint: text("fingerprint").notNull(),
    status: text("status", { enum: FINDING_STATUSES }).notNull().default("open"),
    justification: text("justification"),
    /** An `accepted` finding counts as open again from this time (null: no expiry). */
    statusExpiresAt: integer("status_expires_at"),
    statusUpdatedAt: integer("status_updated_at"),
    statusUpdatedBy: text("status_updated_by"),
    lastSeenAt: integer("last_seen_at").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("findings_subject_fingerprint_uq").on(t.repoId, t.subjectType, t.subjectName, t.subjectVersion, t.fingerprint),
    index("findings_project_page_idx").on(t.projectId, t.createdAt, t.id),
    index("findings_repo_page_idx").on(t.repoId, t.createdAt, t.id),
    index("findings_identifier_idx").on(t.identifier),
  ],
);

export const findingThresholds = sqliteTable(
  "finding_thresholds",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** Open findings at or above this severity are counted… */
    severity: text("severity", { enum: SEVERITIES }).notNull(),
    /** …and more than this many exceed the threshold (0: any). */
    maxCount: integer("max_count").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("finding_thresholds_name_uq").on(t.projectId, t.name)],
);

/** The gates an artifact must pass to be promoted INTO the repo. */
export const promotionGates = sqliteTable("promotion_gates", {
  repoId: text("repo_id")
    .primaryKey()
    .references(() => repos.id, { onDelete: "cascade" }),
  /** Refuse when an open finding is at or above this severity (null: no findings gate). */
  maxSeverity: text("max_severity", { enum: SEVERITIES }),
  /** Manifest labels that must be present: `key` or `key=value`. */
  requiredLabels: text("required_labels", { mode: "json" }).$type<string[]>().notNull().default([]),
  /** Refuse artifacts pushed less than this many seconds ago (null: no cool-down). */
  minAgeSeconds: integer("min_age_seconds"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** A trusted public key of a keyed sigstore policy (PEM SPKI: ECDSA P-256/P-384 or Ed25519). */
export interface SigstoreKey {
  name: string;
  pem: string;
}
/** A Fulcio identity a keyless signature must carry: issuer exact; SAN exact or an anchored regex. */
export interface SigstoreIdentity {
  issuer: string;
  san: string | null;
  sanRegex: string | null;
}

/**
 * Sigstore trust policies (instance admins): which artifacts they select, what signatures
 * those must carry, and what a failure does at pull. The trusted root is stored as
 * uploaded (validated then), so verification never fetches anything.
 */
export const sigstorePolicies = sqliteTable(
  "sigstore_policies",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    /** Selection: null project = every project; null repo = every repo of the scope. */
    projectId: text("project_id").references(() => projects.id, { onDelete: "cascade" }),
    repoId: text("repo_id").references(() => repos.id, { onDelete: "cascade" }),
    /** Repo formats; empty: every format. */
    formats: text("formats", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** Image or package name globs (`team/*`); empty: every name. */
    names: text("names", { mode: "json" }).$type<string[]>().notNull().default([]),
    mode: text("mode", { enum: SIGSTORE_MODES }).notNull(),
    keys: text("keys", { mode: "json" }).$type<SigstoreKey[]>().notNull().default([]),
    identities: text("identities", { mode: "json" }).$type<SigstoreIdentity[]>().notNull().default([]),
    rekor: text("rekor", { enum: SIGSTORE_REKOR }).notNull().default("required"),
    /** The uploaded trusted_root.json (text), or null (keyed policies without Rekor). */
    trustedRoot: text("trusted_root"),
    minSignatures: integer("min_signatures").notNull().default(1),
    /** in-toto predicate types that must be attested (SLSA provenance …). */
    predicateTypes: text("predicate_types", { mode: "json" }).$type<string[]>().notNull().default([]),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("sigstore_policies_name_uq").on(t.name), index("sigstore_policies_page_idx").on(t.createdAt, t.id)],
);
