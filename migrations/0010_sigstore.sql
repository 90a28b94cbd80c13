CREATE TABLE `sigstore_policies` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`project_id` text,
	`repo_id` text,
	`formats` text DEFAULT '[]' NOT NULL,
	`names` text DEFAULT '[]' NOT NULL,
	`mode` text NOT NULL,
	`keys` text DEFAULT '[]' NOT NULL,
	`identities` text DEFAULT '[]' NOT NULL,
	`rekor` text DEFAULT 'required' NOT NULL,
	`trusted_root` text,
	`min_signatures` integer DEFAULT 1 NOT NULL,
	`predicate_types` text DEFAULT '[]' NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sigstore_policies_name_uq` ON `sigstore_policies` (`name`);--> statement-breakpoint
CREATE INDEX `sigstore_policies_page_idx` ON `sigstore_policies` (`created_at`,`id`);