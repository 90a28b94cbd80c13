CREATE TABLE `oidc_trust_policies` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`issuer` text NOT NULL,
	`audiences` text NOT NULL,
	`claim_conditions` text NOT NULL,
	`project_id` text NOT NULL,
	`role` text NOT NULL,
	`max_lifetime_seconds` integer NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `oidc_trust_policies_name_uq` ON `oidc_trust_policies` (`name`);--> statement-breakpoint
CREATE INDEX `oidc_trust_policies_issuer_idx` ON `oidc_trust_policies` (`issuer`);--> statement-breakpoint
CREATE INDEX `oidc_trust_policies_page_idx` ON `oidc_trust_policies` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`project_id` text,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`response_code` integer,
	`latency_ms` integer,
	`error` text,
	`next_attempt_at` integer,
	`redelivery_of` text,
	`dead_lettered_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`completed_at` integer,
	FOREIGN KEY (`subscription_id`) REFERENCES `webhook_subscriptions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_subscription_idx` ON `webhook_deliveries` (`subscription_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `webhook_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`url` text NOT NULL,
	`secret` text NOT NULL,
	`events` text NOT NULL,
	`project_id` text,
	`enabled` integer DEFAULT true NOT NULL,
	`secret_updated_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_subscriptions_page_idx` ON `webhook_subscriptions` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `webhook_subscriptions_project_idx` ON `webhook_subscriptions` (`project_id`);