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
--> statement-breakpoint
-- search index (issue 14): hand-written, appended to the drizzle migration that creates
-- `search_docs` (drizzle does not model virtual tables or triggers). When that migration
-- is regenerated, append this file to it again; test/policy/search.test.ts checks it is there.
--
-- search_fts indexes search_docs (external content); triggers on search_docs keep it in
-- step, and triggers on the source tables keep search_docs in step with what they hold.
CREATE VIRTUAL TABLE `search_fts` USING fts5(name, text, content='search_docs', content_rowid='rowid', tokenize='trigram');
--> statement-breakpoint
CREATE TRIGGER `search_docs_ai` AFTER INSERT ON `search_docs` BEGIN
  INSERT INTO search_fts(rowid, name, text) VALUES (new.rowid, new.name, new.text);
END;
--> statement-breakpoint
CREATE TRIGGER `search_docs_ad` AFTER DELETE ON `search_docs` BEGIN
  INSERT INTO search_fts(search_fts, rowid, name, text) VALUES ('delete', old.rowid, old.name, old.text);
END;
--> statement-breakpoint
CREATE TRIGGER `search_docs_au` AFTER UPDATE ON `search_docs` BEGIN
  INSERT INTO search_fts(search_fts, rowid, name, text) VALUES ('delete', old.rowid, old.name, old.text);
  INSERT INTO search_fts(rowid, name, text) VALUES (new.rowid, new.name, new.text);
END;
--> statement-breakpoint
CREATE TRIGGER `search_projects_ai` AFTER INSERT ON `projects` BEGIN
  INSERT INTO search_docs(key, kind, project_id, repo_id, name, text, created_at)
  VALUES ('project:' || new.id, 'project', new.id, NULL, new.slug, new.name || ' ' || new.description, new.created_at);
END;
--> statement-breakpoint
CREATE TRIGGER `search_projects_au` AFTER UPDATE OF slug, name, description ON `projects` BEGIN
  UPDATE search_docs SET name = new.slug, text = new.name || ' ' || new.description WHERE key = 'project:' || new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `search_projects_ad` AFTER DELETE ON `projects` BEGIN
  DELETE FROM search_docs WHERE project_id = old.id;
END;
--> statement-breakpoint
CREATE TRIGGER `search_repos_ai` AFTER INSERT ON `repos` BEGIN
  INSERT INTO search_docs(key, kind, project_id, repo_id, name, text, created_at)
  VALUES ('repo:' || new.id, 'repo', new.project_id, new.id, new.slug, new.description || ' ' || new.format, new.created_at);
END;
--> statement-breakpoint
CREATE TRIGGER `search_repos_au` AFTER UPDATE OF slug, description ON `repos` BEGIN
  UPDATE search_docs SET name = new.slug, text = new.description || ' ' || new.format WHERE key = 'repo:' || new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `search_repos_ad` AFTER DELETE ON `repos` BEGIN
  DELETE FROM search_docs WHERE repo_id = old.id;
END;
--> statement-breakpoint
CREATE TRIGGER `search_packages_ai` AFTER INSERT ON `packages` BEGIN
  INSERT INTO search_docs(key, kind, project_id, repo_id, name, text, created_at)
  SELECT 'package:' || new.id, 'package', r.project_id, new.repo_id, new.display_name,
         coalesce(json_extract(new.metadata, '$.description'), json_extract(new.metadata, '$.summary'), '') || ' ' || new.name, new.created_at
  FROM repos r WHERE r.id = new.repo_id;
END;
--> statement-breakpoint
CREATE TRIGGER `search_packages_au` AFTER UPDATE OF metadata, display_name ON `packages` BEGIN
  UPDATE search_docs SET name = new.display_name,
    text = coalesce(json_extract(new.metadata, '$.description'), json_extract(new.metadata, '$.summary'), '') || ' ' || new.name
  WHERE key = 'package:' || new.id;
END;
--> statement-breakpoint
CREATE TRIGGER `search_packages_ad` AFTER DELETE ON `packages` BEGIN
  DELETE FROM search_docs WHERE key = 'package:' || old.id;
END;
--> statement-breakpoint
CREATE TRIGGER `search_versions_ai` AFTER INSERT ON `versions` BEGIN
  INSERT INTO search_docs(key, kind, project_id, repo_id, name, text, created_at)
  SELECT 'version:' || new.id, 'version', r.project_id, p.repo_id, p.display_name || '@' || new.version, coalesce(new.license, ''), new.created_at
  FROM packages p JOIN repos r ON r.id = p.repo_id WHERE p.id = new.package_id;
END;
--> statement-breakpoint
CREATE TRIGGER `search_versions_ad` AFTER DELETE ON `versions` BEGIN
  DELETE FROM search_docs WHERE key = 'version:' || old.id;
END;
--> statement-breakpoint
CREATE TRIGGER `search_manifests_ai` AFTER INSERT ON `oci_manifests` BEGIN
  INSERT INTO search_docs(key, kind, project_id, repo_id, name, text, created_at)
  SELECT 'image:' || new.repo_id || '/' || new.image, 'image', r.project_id, new.repo_id, new.image, coalesce(json_extract(new.annotations, '$."org.opencontainers.image.description"'), ''), new.created_at
  FROM repos r WHERE r.id = new.repo_id
  ON CONFLICT(key) DO NOTHING;
END;
--> statement-breakpoint
CREATE TRIGGER `search_manifests_ad` AFTER DELETE ON `oci_manifests` BEGIN
  DELETE FROM search_docs WHERE key = 'image:' || old.repo_id || '/' || old.image
    AND NOT EXISTS (SELECT 1 FROM oci_manifests m WHERE m.repo_id = old.repo_id AND m.image = old.image);
END;
--> statement-breakpoint
CREATE TRIGGER `search_tags_ai` AFTER INSERT ON `oci_tags` BEGIN
  INSERT INTO search_docs(key, kind, project_id, repo_id, name, text, created_at)
  SELECT 'tag:' || new.repo_id || '/' || new.image || ':' || new.tag, 'tag', r.project_id, new.repo_id, new.image || ':' || new.tag, '', new.created_at
  FROM repos r WHERE r.id = new.repo_id
  ON CONFLICT(key) DO NOTHING;
END;
--> statement-breakpoint
CREATE TRIGGER `search_tags_ad` AFTER DELETE ON `oci_tags` BEGIN
  DELETE FROM search_docs WHERE key = 'tag:' || old.repo_id || '/' || old.image || ':' || old.tag;
END;
--> statement-breakpoint
INSERT INTO search_docs(key, kind, project_id, repo_id, name, text, created_at)
  SELECT 'project:' || id, 'project', id, NULL, slug, name || ' ' || description, created_at FROM projects;
--> statement-breakpoint
INSERT INTO search_docs(key, kind, project_id, repo_id, name, text, created_at)
  SELECT 'repo:' || id, 'repo', project_id, id, slug, description || ' ' || format, created_at FROM repos;
--> statement-breakpoint
INSERT INTO search_docs(key, kind, project_id, repo_id, name, text, created_at)
  SELECT 'package:' || p.id, 'package', r.project_id, p.repo_id, p.display_name,
         coalesce(json_extract(p.metadata, '$.description'), json_extract(p.metadata, '$.summary'), '') || ' ' || p.name, p.created_at
  FROM packages p JOIN repos r ON r.id = p.repo_id;
--> statement-breakpoint
INSERT INTO search_docs(key, kind, project_id, repo_id, name, text, created_at)
  SELECT 'version:' || v.id, 'version', r.project_id, p.repo_id, p.display_name || '@' || v.version, '', v.created_at
  FROM versions v JOIN packages p ON p.id = v.package_id JOIN repos r ON r.id = p.repo_id;
--> statement-breakpoint
INSERT INTO search_docs(key, kind, project_id, repo_id, name, text, created_at)
  SELECT 'image:' || m.repo_id || '/' || m.image, 'image', r.project_id, m.repo_id, m.image, '', min(m.created_at)
  FROM oci_manifests m JOIN repos r ON r.id = m.repo_id GROUP BY m.repo_id, m.image;
--> statement-breakpoint
INSERT INTO search_docs(key, kind, project_id, repo_id, name, text, created_at)
  SELECT 'tag:' || t.repo_id || '/' || t.image || ':' || t.tag, 'tag', r.project_id, t.repo_id, t.image || ':' || t.tag, '', t.created_at
  FROM oci_tags t JOIN repos r ON r.id = t.repo_id;
