CREATE TABLE `block_hits` (
	`block_id` text NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL,
	`last_at` integer NOT NULL,
	PRIMARY KEY(`block_id`, `window_start`),
	FOREIGN KEY (`block_id`) REFERENCES `security_blocks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `license_policies` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`project_id` text,
	`repo_id` text,
	`formats` text DEFAULT '[]' NOT NULL,
	`allow` text DEFAULT '[]' NOT NULL,
	`deny` text DEFAULT '[]' NOT NULL,
	`action` text NOT NULL,
	`unknown_action` text DEFAULT 'allow' NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `license_policies_name_uq` ON `license_policies` (`name`);--> statement-breakpoint
CREATE INDEX `license_policies_page_idx` ON `license_policies` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `quarantine_policies` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`repo_id` text,
	`scope_key` text NOT NULL,
	`cooldown_hours` integer DEFAULT 0 NOT NULL,
	`require_approval` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `quarantine_policies_scope_uq` ON `quarantine_policies` (`scope_key`);--> statement-breakpoint
CREATE INDEX `quarantine_policies_page_idx` ON `quarantine_policies` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `security_blocks` (
	`id` text PRIMARY KEY NOT NULL,
	`format` text NOT NULL,
	`package` text NOT NULL,
	`package_key` text NOT NULL,
	`versions` text DEFAULT '[]' NOT NULL,
	`digests` text DEFAULT '[]' NOT NULL,
	`project_id` text,
	`repo_id` text,
	`reason` text NOT NULL,
	`customer_message` text NOT NULL,
	`blocked_until` integer,
	`origin` text DEFAULT 'security' NOT NULL,
	`created_by_type` text NOT NULL,
	`created_by_name` text,
	`lifted_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `security_blocks_page_idx` ON `security_blocks` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `security_blocks_format_idx` ON `security_blocks` (`format`,`lifted_at`);--> statement-breakpoint
CREATE TABLE `downloads` (
	`id` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL,
	`project_id` text NOT NULL,
	`repo_id` text NOT NULL,
	`format` text NOT NULL,
	`package` text NOT NULL,
	`version` text,
	`version_id` text,
	`file` text,
	`digest` text NOT NULL,
	`principal_type` text NOT NULL,
	`principal_id` text,
	`principal_name` text,
	`token_id` text,
	`claims` text,
	`ip` text,
	`user_agent` text
);
--> statement-breakpoint
CREATE INDEX `downloads_page_idx` ON `downloads` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `downloads_repo_idx` ON `downloads` (`repo_id`,`package`,`version`,`created_at`);--> statement-breakpoint
CREATE INDEX `downloads_digest_idx` ON `downloads` (`digest`,`created_at`);--> statement-breakpoint
CREATE INDEX `downloads_principal_idx` ON `downloads` (`principal_type`,`principal_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `downloads_token_idx` ON `downloads` (`token_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `downloads_project_idx` ON `downloads` (`project_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `search_docs` (
	`rowid` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`kind` text NOT NULL,
	`project_id` text NOT NULL,
	`repo_id` text,
	`name` text NOT NULL,
	`text` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `search_docs_key_uq` ON `search_docs` (`key`);--> statement-breakpoint
CREATE INDEX `search_docs_repo_idx` ON `search_docs` (`repo_id`);--> statement-breakpoint
ALTER TABLE `tokens` ADD `claims` text;--> statement-breakpoint
ALTER TABLE `versions` ADD `license` text;--> statement-breakpoint
ALTER TABLE `versions` ADD `blocked_by` text;--> statement-breakpoint
ALTER TABLE `versions` ADD `license_blocked_by` text;--> statement-breakpoint
ALTER TABLE `versions` ADD `held_until` integer;--> statement-breakpoint
ALTER TABLE `versions` ADD `published_by` text;--> statement-breakpoint
ALTER TABLE `versions` ADD `last_downloaded_at` integer;--> statement-breakpoint
CREATE INDEX `versions_held_idx` ON `versions` (`held_until`);--> statement-breakpoint
CREATE INDEX `versions_blocked_idx` ON `versions` (`blocked_by`);--> statement-breakpoint
CREATE INDEX `versions_license_blocked_idx` ON `versions` (`license_blocked_by`);--> statement-breakpoint
ALTER TABLE `oci_manifests` ADD `blocked_by` text;--> statement-breakpoint
ALTER TABLE `oci_manifests` ADD `license_blocked_by` text;--> statement-breakpoint
ALTER TABLE `oci_manifests` ADD `held_until` integer;--> statement-breakpoint
ALTER TABLE `oci_manifests` ADD `pushed_by` text;--> statement-breakpoint
ALTER TABLE `oci_manifests` ADD `last_downloaded_at` integer;--> statement-breakpoint
CREATE INDEX `oci_manifests_held_idx` ON `oci_manifests` (`held_until`);--> statement-breakpoint
CREATE INDEX `oci_manifests_image_idx` ON `oci_manifests` (`image`);--> statement-breakpoint
CREATE INDEX `oci_manifests_blocked_idx` ON `oci_manifests` (`blocked_by`);--> statement-breakpoint
CREATE INDEX `packages_name_idx` ON `packages` (`name`);