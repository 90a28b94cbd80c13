CREATE INDEX `versions_created_idx` ON `versions` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `oci_manifests_created_idx` ON `oci_manifests` (`created_at`);