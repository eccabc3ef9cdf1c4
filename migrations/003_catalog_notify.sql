-- Tell every replica when the catalog changes, so that in-memory caches of
-- lookups are dropped at once (catalog.Cache listens on this channel).
-- Statement-level triggers: one notification per statement, and Postgres
-- folds identical notifications within a transaction into one.
CREATE FUNCTION notify_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('catalog_changed', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER services_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON services
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();
CREATE TRIGGER service_aliases_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON service_aliases
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();
CREATE TRIGGER teams_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON teams
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();
CREATE TRIGGER people_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON people
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();
CREATE TRIGGER team_members_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON team_members
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();
CREATE TRIGGER repos_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON repos
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();
CREATE TRIGGER service_repos_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON service_repos
    FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();
