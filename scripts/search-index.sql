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
