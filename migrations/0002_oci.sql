CREATE TABLE `oci_labels` (
	`id` text PRIMARY KEY NOT NULL,
	`repo_id` text NOT NULL,
	`digest` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`media_type` text DEFAULT 'text/plain' NOT NULL,
	`source` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `oci_labels_manifest_idx` ON `oci_labels` (`repo_id`,`digest`,`created_at`);--> statement-breakpoint
CREATE TABLE `oci_manifest_refs` (
	`repo_id` text NOT NULL,
	`image` text NOT NULL,
	`parent_digest` text NOT NULL,
	`child_digest` text NOT NULL,
	`kind` text NOT NULL,
	PRIMARY KEY(`repo_id`, `image`, `parent_digest`, `child_digest`),
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `oci_manifest_refs_child_idx` ON `oci_manifest_refs` (`repo_id`,`child_digest`);--> statement-breakpoint
CREATE TABLE `oci_manifests` (
	`repo_id` text NOT NULL,
	`image` text NOT NULL,
	`digest` text NOT NULL,
	`media_type` text NOT NULL,
	`artifact_type` text,
	`size` integer NOT NULL,
	`body` text,
	`subject_digest` text,
	`annotations` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`repo_id`, `image`, `digest`),
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `oci_manifests_subject_idx` ON `oci_manifests` (`repo_id`,`image`,`subject_digest`);--> statement-breakpoint
CREATE INDEX `oci_manifests_digest_idx` ON `oci_manifests` (`repo_id`,`digest`);--> statement-breakpoint
CREATE TABLE `oci_tag_history` (
	`id` text PRIMARY KEY NOT NULL,
	`repo_id` text NOT NULL,
	`image` text NOT NULL,
	`tag` text NOT NULL,
	`digest` text,
	`previous_digest` text,
	`action` text NOT NULL,
	`actor_type` text NOT NULL,
	`actor_name` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `oci_tag_history_tag_idx` ON `oci_tag_history` (`repo_id`,`image`,`tag`,`created_at`);--> statement-breakpoint
CREATE TABLE `oci_tags` (
	`repo_id` text NOT NULL,
	`image` text NOT NULL,
	`tag` text NOT NULL,
	`digest` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`repo_id`, `image`, `tag`),
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `oci_tags_digest_idx` ON `oci_tags` (`repo_id`,`image`,`digest`);