CREATE TABLE `repo_index_parts` (
	`index_id` text NOT NULL,
	`path` text NOT NULL,
	`part` integer NOT NULL,
	`content` blob NOT NULL,
	PRIMARY KEY(`index_id`, `path`, `part`),
	FOREIGN KEY (`index_id`) REFERENCES `repo_indexes`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `repo_indexes` (
	`id` text PRIMARY KEY NOT NULL,
	`repo_id` text NOT NULL,
	`rev` integer NOT NULL,
	`manifest` text NOT NULL,
	`created_at` integer NOT NULL,
	`superseded_at` integer,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `repo_indexes_repo_rev_uq` ON `repo_indexes` (`repo_id`,`rev`);--> statement-breakpoint
CREATE TABLE `repo_revisions` (
	`repo_id` text PRIMARY KEY NOT NULL,
	`rev` integer NOT NULL,
	`changed_at` integer NOT NULL,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `repo_signing_keys` (
	`repo_id` text PRIMARY KEY NOT NULL,
	`algorithm` text NOT NULL,
	`fingerprint` text NOT NULL,
	`public_key` text NOT NULL,
	`private_key_encrypted` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`repo_id`) REFERENCES `repos`(`id`) ON UPDATE no action ON DELETE cascade
);
