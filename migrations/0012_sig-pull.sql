ALTER TABLE `repos` ADD `sigstore_pull` text;
--> statement-breakpoint
-- Flag the repos that sigstore policies made before this column already select (policies
-- keep it current from now on: services/trust/sigstore-policies.ts, the same statement).
UPDATE `repos` SET `sigstore_pull` = (SELECT CASE WHEN SUM(p.mode = 'enforce') > 0 THEN 'enforce' WHEN COUNT(*) > 0 THEN 'audit' END
    FROM `sigstore_policies` p
    WHERE p.enabled = 1 AND p.mode IN ('enforce', 'audit')
      AND (p.project_id IS NULL OR p.project_id = `repos`.`project_id`)
      AND (p.repo_id IS NULL OR p.repo_id = `repos`.`id`)
      AND (json_array_length(p.formats) = 0 OR EXISTS (SELECT 1 FROM json_each(p.formats) f WHERE f.value = `repos`.`format`)));
