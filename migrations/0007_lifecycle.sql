CREATE TABLE `gc_doomed_keys` (
	`r2_key` text PRIMARY KEY NOT NULL,
	`doomed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `gc_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`trigger` text NOT NULL,
	`status` text NOT NULL,
	`phase` text NOT NULL,
	`cursor` text,
	`step` integer DEFAULT 0 NOT NULL,
	`link_grace_ms` integer NOT NULL,
	`blob_grace_ms` integer NOT NULL,
	`orphan_grace_ms` integer NOT NULL,
	`counts` text NOT NULL,
	`errors` text DEFAULT '[]' NOT NULL,
	`lease_until` integer,
	`actor_type` text NOT NULL,
	`actor_name` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `gc_runs_page_idx` ON `gc_runs` (`created_at`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `gc_runs_active_uq` ON `gc_runs` (`status`) WHERE "gc_runs"."status" = 'running';--> statement-breakpoint
CREATE TABLE `legal_holds` (
	`id` text PRIMARY KEY NOT NULL,
	`repo_id` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`ref` text NOT NULL,
	`reason` text NOT NULL,
	`actor_type` text NOT NULL,
	`actor_name` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `legal_holds_target_uq` ON `legal_holds` (`repo_id`,`kind`,`name`,`ref`);--> statement-breakpoint
CREATE INDEX `legal_holds_page_idx` ON `legal_holds` (`repo_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `retention_policies` (
	`id` text PRIMARY KEY NOT NULL,
	`repo_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`action` text NOT NULL,
	`condition` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`source` text DEFAULT 'api' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `retention_policies_repo_name_uq` ON `retention_policies` (`repo_id`,`name`);--> statement-breakpoint
CREATE INDEX `retention_policies_page_idx` ON `retention_policies` (`repo_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `retention_run_items` (
	`run_id` text NOT NULL,
	`seq` integer NOT NULL,
	`kind` text NOT NULL,
	`package` text NOT NULL,
	`version` text NOT NULL,
	`ref` text NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`pushed_at` integer NOT NULL,
	`last_download_at` integer,
	`size` integer NOT NULL,
	`freed` integer NOT NULL,
	`decision` text NOT NULL,
	`policy_id` text,
	`policy_name` text,
	`kept_by` text,
	`status` text NOT NULL,
	`detail` text,
	`trash_id` text,
	PRIMARY KEY(`run_id`, `seq`),
	FOREIGN KEY (`run_id`) REFERENCES `retention_runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `retention_run_items_status_idx` ON `retention_run_items` (`run_id`,`decision`,`status`,`seq`);--> statement-breakpoint
CREATE TABLE `retention_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`repo_id` text NOT NULL,
	`trigger` text NOT NULL,
	`dry_run` integer NOT NULL,
	`status` text NOT NULL,
	`policies` text DEFAULT '[]' NOT NULL,
	`examined` integer DEFAULT 0 NOT NULL,
	`planned` integer DEFAULT 0 NOT NULL,
	`deleted` integer DEFAULT 0 NOT NULL,
	`kept` integer DEFAULT 0 NOT NULL,
	`skipped` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`planned_bytes` integer DEFAULT 0 NOT NULL,
	`deleted_bytes` integer DEFAULT 0 NOT NULL,
	`errors` text DEFAULT '[]' NOT NULL,
	`cursor` integer DEFAULT 0 NOT NULL,
	`lease_until` integer,
	`actor_type` text NOT NULL,
	`actor_name` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `retention_runs_page_idx` ON `retention_runs` (`repo_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `retention_runs_all_idx` ON `retention_runs` (`created_at`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `retention_runs_active_uq` ON `retention_runs` (`repo_id`) WHERE "retention_runs"."dry_run" = 0 AND "retention_runs"."status" IN ('planning', 'running');--> statement-breakpoint
CREATE TABLE `trash_blobs` (
	`entry_id` text NOT NULL,
	`repo_id` text NOT NULL,
	`digest` text NOT NULL,
	PRIMARY KEY(`entry_id`, `digest`),
	FOREIGN KEY (`entry_id`) REFERENCES `trash_entries`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `trash_blobs_repo_digest_idx` ON `trash_blobs` (`repo_id`,`digest`);--> statement-breakpoint
CREATE TABLE `trash_entries` (
	`id` text PRIMARY KEY NOT NULL,
	`repo_id` text NOT NULL,
	`project_id` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`ref` text NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`size` integer NOT NULL,
	`reason` text NOT NULL,
	`run_id` text,
	`policy_name` text,
	`actor_type` text NOT NULL,
	`actor_name` text,
	`parts` integer NOT NULL,
	`deleted_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `trash_entries_page_idx` ON `trash_entries` (`repo_id`,`deleted_at`,`id`);--> statement-breakpoint
CREATE INDEX `trash_entries_expiry_idx` ON `trash_entries` (`expires_at`);--> statement-breakpoint
CREATE TABLE `trash_parts` (
	`entry_id` text NOT NULL,
	`part` integer NOT NULL,
	`content` blob NOT NULL,
	PRIMARY KEY(`entry_id`, `part`),
	FOREIGN KEY (`entry_id`) REFERENCES `trash_entries`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `blobs` ADD `state` text DEFAULT 'live' NOT NULL;--> statement-breakpoint
ALTER TABLE `blobs` ADD `condemned_at` integer;--> statement-breakpoint
ALTER TABLE `blobs` ADD `unlinked_at` integer;--> statement-breakpoint
CREATE INDEX `blobs_r2_key_idx` ON `blobs` (`r2_key`);--> statement-breakpoint
-- The garbage-collection protocol's invariants, enforced by the database itself so that
-- no code path can break them (docs/gc.md). Written by hand: drizzle-kit does not
-- generate triggers; regenerate the migration and append these again if it changes.
-- I1: a file or a manifest that needs a blob is only written while the repo links it.
CREATE TRIGGER `files_need_link` BEFORE INSERT ON `files`
WHEN NOT EXISTS (SELECT 1 FROM `repo_blobs` WHERE `repo_id` = NEW.`repo_id` AND `digest` = NEW.`digest`)
BEGIN SELECT RAISE(ABORT, 'orbitalreg: blob not linked'); END;
--> statement-breakpoint
CREATE TRIGGER `manifest_refs_need_link` BEFORE INSERT ON `oci_manifest_refs`
WHEN NEW.`kind` = 'blob' AND NOT EXISTS (SELECT 1 FROM `repo_blobs` WHERE `repo_id` = NEW.`repo_id` AND `digest` = NEW.`child_digest`)
BEGIN SELECT RAISE(ABORT, 'orbitalreg: blob not linked'); END;
--> statement-breakpoint
CREATE TRIGGER `manifest_body_needs_link` BEFORE INSERT ON `oci_manifests`
WHEN NEW.`body` IS NULL AND NOT EXISTS (SELECT 1 FROM `repo_blobs` WHERE `repo_id` = NEW.`repo_id` AND `digest` = NEW.`digest`)
BEGIN SELECT RAISE(ABORT, 'orbitalreg: blob not linked'); END;
--> statement-breakpoint
-- I2: a link is only made to a live blob (GC condemns only blobs nothing links).
CREATE TRIGGER `links_need_live_blob` BEFORE INSERT ON `repo_blobs`
WHEN NOT EXISTS (SELECT 1 FROM `blobs` WHERE `digest` = NEW.`digest` AND `state` = 'live')
BEGIN SELECT RAISE(ABORT, 'orbitalreg: blob condemned'); END;
--> statement-breakpoint
-- I3: no blob row names an R2 key the collector is deleting as an orphan.
CREATE TRIGGER `blobs_key_not_doomed` BEFORE INSERT ON `blobs`
WHEN EXISTS (SELECT 1 FROM `gc_doomed_keys` WHERE `r2_key` = NEW.`r2_key`)
BEGIN SELECT RAISE(ABORT, 'orbitalreg: key collected'); END;
--> statement-breakpoint
CREATE TRIGGER `blobs_rekey_not_doomed` BEFORE UPDATE OF `r2_key` ON `blobs`
WHEN EXISTS (SELECT 1 FROM `gc_doomed_keys` WHERE `r2_key` = NEW.`r2_key`)
BEGIN SELECT RAISE(ABORT, 'orbitalreg: key collected'); END;
