-- search keywords: a package's search document also holds its keywords, which every format
-- keeps as `keywords` (a list of strings) in the package's metadata: npm `keywords`, PyPI
-- `keywords`, Cargo `keywords` and `categories`, an MCP server's tools and tags.
-- Hand-written (drizzle does not model triggers): replaces the two package triggers of
-- scripts/search-index.sql (appended to 0006_policy) and re-indexes the packages there are.
DROP TRIGGER IF EXISTS `search_packages_ai`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `search_packages_au`;
--> statement-breakpoint
CREATE TRIGGER `search_packages_ai` AFTER INSERT ON `packages` BEGIN
  INSERT INTO search_docs(key, kind, project_id, repo_id, name, text, created_at)
  SELECT 'package:' || new.id, 'package', r.project_id, new.repo_id, new.display_name,
         coalesce(json_extract(new.metadata, '$.description'), json_extract(new.metadata, '$.summary'), '') || ' ' || new.name
           || coalesce(' ' || (SELECT group_concat(k.value, ' ') FROM json_each(new.metadata, '$.keywords') k WHERE k.type = 'text'), ''),
         new.created_at
  FROM repos r WHERE r.id = new.repo_id;
END;
--> statement-breakpoint
CREATE TRIGGER `search_packages_au` AFTER UPDATE OF metadata, display_name ON `packages` BEGIN
  UPDATE search_docs SET name = new.display_name,
    text = coalesce(json_extract(new.metadata, '$.description'), json_extract(new.metadata, '$.summary'), '') || ' ' || new.name
      || coalesce(' ' || (SELECT group_concat(k.value, ' ') FROM json_each(new.metadata, '$.keywords') k WHERE k.type = 'text'), '')
  WHERE key = 'package:' || new.id;
END;
--> statement-breakpoint
UPDATE search_docs SET text = (
  SELECT coalesce(json_extract(p.metadata, '$.description'), json_extract(p.metadata, '$.summary'), '') || ' ' || p.name
    || coalesce(' ' || (SELECT group_concat(k.value, ' ') FROM json_each(p.metadata, '$.keywords') k WHERE k.type = 'text'), '')
  FROM packages p WHERE p.id = substr(search_docs.key, 9)
) WHERE kind = 'package' AND EXISTS (SELECT 1 FROM packages p WHERE p.id = substr(search_docs.key, 9));
