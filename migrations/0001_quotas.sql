CREATE TABLE `project_quotas` (
	`project_id` text PRIMARY KEY NOT NULL,
	`limit_bytes` integer,
	`limits` text DEFAULT '[]' NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
