CREATE TABLE `oci_pending_refs` (
	`repo_id` text NOT NULL,
	`image` text NOT NULL,
	`parent_digest` text NOT NULL,
	`child_digest` text NOT NULL,
	PRIMARY KEY(`repo_id`, `image`, `parent_digest`, `child_digest`),
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`repo_id`,`image`,`parent_digest`) REFERENCES `oci_manifests`(`repo_id`,`image`,`digest`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `oci_pending_refs_child_idx` ON `oci_pending_refs` (`repo_id`,`child_digest`);--> statement-breakpoint
CREATE TABLE `project_proxy_caches` (
	`project_id` text PRIMARY KEY NOT NULL,
	`upstream_registry` text NOT NULL,
	`username` text,
	`secret` text,
	`expiration_seconds` integer NOT NULL,
	`insecure` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `proxy_document_parts` (
	`body_id` text NOT NULL,
	`part` integer NOT NULL,
	`repo_id` text NOT NULL,
	`key` text NOT NULL,
	`content` blob NOT NULL,
	PRIMARY KEY(`body_id`, `part`),
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `proxy_document_parts_doc_idx` ON `proxy_document_parts` (`repo_id`,`key`);--> statement-breakpoint
CREATE TABLE `proxy_documents` (
	`repo_id` text NOT NULL,
	`key` text NOT NULL,
	`status` integer NOT NULL,
	`body_id` text,
	`content_type` text,
	`size` integer DEFAULT 0 NOT NULL,
	`etag` text,
	`last_modified` text,
	`fetched_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`repo_id`, `key`),
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `repo_mirrors` (
	`repo_id` text PRIMARY KEY NOT NULL,
	`is_enabled` integer NOT NULL,
	`packages` text NOT NULL,
	`root_rule` text NOT NULL,
	`sync_interval_seconds` integer NOT NULL,
	`sync_start_at` integer NOT NULL,
	`sync_status` text NOT NULL,
	`sync_run_id` text,
	`sync_started_at` integer,
	`sync_finished_at` integer,
	`synced_count` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `repo_mirrors_due_idx` ON `repo_mirrors` (`is_enabled`,`sync_start_at`);--> statement-breakpoint
CREATE TABLE `upstream_credentials` (
	`repo_id` text PRIMARY KEY NOT NULL,
	`secret` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `repos` ADD `config` text DEFAULT '{}' NOT NULL;