-- Where a Maven dependency's version is set when not in the repo (issue
-- 12): the coordinate "groupId:artifactId:version" of the parent POM or
-- imported BOM fetched from a Maven repository that sets it
-- (depfile.Dependency.VersionFrom); '' when the repo sets the version
-- itself, and for every other ecosystem. /impact names it beside the line
-- to change: the version is moved by bumping that parent or BOM, or by
-- overriding it in the repo.
ALTER TABLE dependencies ADD COLUMN version_from text NOT NULL DEFAULT '';
