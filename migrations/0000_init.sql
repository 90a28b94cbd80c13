CREATE TABLE `projects` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `projects_slug_uq` ON `projects` (`slug`);--> statement-breakpoint
CREATE INDEX `projects_page_idx` ON `projects` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `repos` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`slug` text NOT NULL,
	`format` text NOT NULL,
	`kind` text DEFAULT 'local' NOT NULL,
	`visibility` text DEFAULT 'private' NOT NULL,
	`state` text DEFAULT 'normal' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`labels` text DEFAULT '{}' NOT NULL,
	`allowed_patterns` text DEFAULT '[]' NOT NULL,
	`blocked_patterns` text DEFAULT '[]' NOT NULL,
	`immutable_tags` text DEFAULT '[]' NOT NULL,
	`upstream_url` text,
	`virtual_members` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `repos_project_slug_uq` ON `repos` (`project_id`,`slug`);--> statement-breakpoint
CREATE INDEX `repos_page_idx` ON `repos` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `role_bindings` (
	`project_id` text NOT NULL,
	`principal_type` text NOT NULL,
	`principal_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `principal_type`, `principal_id`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `role_bindings_principal_idx` ON `role_bindings` (`principal_type`,`principal_id`);--> statement-breakpoint
CREATE TABLE `service_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`role` text DEFAULT 'reader' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `service_accounts_project_name_uq` ON `service_accounts` (`project_id`,`name`);--> statement-breakpoint
CREATE INDEX `service_accounts_page_idx` ON `service_accounts` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`name` text NOT NULL,
	`principal_type` text NOT NULL,
	`principal_id` text NOT NULL,
	`project_id` text,
	`scopes` text,
	`role` text,
	`expires_at` integer,
	`last_used_at` integer,
	`revoked_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tokens_hash_uq` ON `tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `tokens_principal_idx` ON `tokens` (`principal_type`,`principal_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`email` text,
	`is_admin` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_uq` ON `users` (`username`);--> statement-breakpoint
CREATE INDEX `users_page_idx` ON `users` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `blobs` (
	`digest` text PRIMARY KEY NOT NULL,
	`r2_key` text NOT NULL,
	`size` integer NOT NULL,
	`media_type` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `files` (
	`id` text PRIMARY KEY NOT NULL,
	`version_id` text NOT NULL,
	`repo_id` text NOT NULL,
	`name` text NOT NULL,
	`digest` text NOT NULL,
	`size` integer NOT NULL,
	`media_type` text,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`digest`) REFERENCES `blobs`(`digest`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `files_version_name_uq` ON `files` (`version_id`,`name`);--> statement-breakpoint
CREATE INDEX `files_repo_name_idx` ON `files` (`repo_id`,`name`);--> statement-breakpoint
CREATE INDEX `files_digest_idx` ON `files` (`digest`);--> statement-breakpoint
CREATE TABLE `packages` (
	`id` text PRIMARY KEY NOT NULL,
	`repo_id` text NOT NULL,
	`name` text NOT NULL,
	`display_name` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `packages_repo_name_uq` ON `packages` (`repo_id`,`name`);--> statement-breakpoint
CREATE INDEX `packages_page_idx` ON `packages` (`repo_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `repo_blobs` (
	`repo_id` text NOT NULL,
	`digest` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`repo_id`, `digest`),
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`digest`) REFERENCES `blobs`(`digest`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `repo_blobs_digest_idx` ON `repo_blobs` (`digest`);--> statement-breakpoint
CREATE TABLE `versions` (
	`id` text PRIMARY KEY NOT NULL,
	`package_id` text NOT NULL,
	`version` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`yanked` text,
	`deprecated` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`package_id`) REFERENCES `packages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `versions_package_version_uq` ON `versions` (`package_id`,`version`);--> statement-breakpoint
CREATE INDEX `versions_page_idx` ON `versions` (`package_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text,
	`actor_name` text,
	`action` text NOT NULL,
	`resource_type` text NOT NULL,
	`resource_id` text,
	`project_id` text,
	`before` text,
	`after` text,
	`request_id` text,
	`ip` text
);
--> statement-breakpoint
CREATE INDEX `audit_page_idx` ON `audit_log` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `audit_project_idx` ON `audit_log` (`project_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `audit_resource_idx` ON `audit_log` (`resource_type`,`resource_id`);--> statement-breakpoint
CREATE TABLE `health_checks` (
	`name` text PRIMARY KEY NOT NULL,
	`last_ok_at` integer,
	`last_error` text,
	`updated_at` integer NOT NULL
);
