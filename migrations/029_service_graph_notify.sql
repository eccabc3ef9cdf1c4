-- The service graph is cached in memory beside the catalog (catalog.Cache):
-- tell every replica when what it is derived from changes, as migration 003
-- does for the catalog's own tables. Statement-level: one notification per
-- statement, folded within a transaction.
CREATE TRIGGER service_relations_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON service_relations
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();
CREATE TRIGGER repo_packages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON repo_packages
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();
CREATE TRIGGER dependencies_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dependencies
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();
