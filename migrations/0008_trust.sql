CREATE TABLE `finding_thresholds` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`severity` text NOT NULL,
	`max_count` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `finding_thresholds_name_uq` ON `finding_thresholds` (`project_id`,`name`);--> statement-breakpoint
CREATE TABLE `findings` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`repo_id` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_name` text NOT NULL,
	`subject_version` text NOT NULL,
	`subject_digest` text,
	`identifier` text NOT NULL,
	`aliases` text DEFAULT '[]' NOT NULL,
	`kind` text NOT NULL,
	`severity` text NOT NULL,
	`cvss_score` real,
	`cvss_vector` text,
	`summary` text DEFAULT '' NOT NULL,
	`component_name` text,
	`component_version` text,
	`path` text,
	`fixed_in` text DEFAULT '[]' NOT NULL,
	`scanner_name` text NOT NULL,
	`scanner_version` text,
	`evidence` text,
	`fingerprint` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`justification` text,
	`status_expires_at` integer,
	`status_updated_at` integer,
	`status_updated_by` text,
	`last_seen_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `findings_subject_fingerprint_uq` ON `findings` (`repo_id`,`subject_type`,`subject_name`,`subject_version`,`fingerprint`);--> statement-breakpoint
CREATE INDEX `findings_project_page_idx` ON `findings` (`project_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `findings_repo_page_idx` ON `findings` (`repo_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `findings_identifier_idx` ON `findings` (`identifier`);--> statement-breakpoint
CREATE TABLE `promotion_gates` (
	`repo_id` text PRIMARY KEY NOT NULL,
	`max_severity` text,
	`required_labels` text DEFAULT '[]' NOT NULL,
	`min_age_seconds` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
