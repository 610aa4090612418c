-- Change tracking for the in-memory read model (docs/decisions/0010): every write to a table the
-- read model loads records the package it touched, whoever the writer is, and wakes the replicas.
-- Statements are separated by "-- split" lines: PGlite runs one statement per prepared query.

-- One row per written row of a tracked table. `xid` is the writing transaction: a reader finds what
-- it has not seen as the rows whose transaction its last snapshot did not see (sequence numbers are
-- handed out before commit, so they do not follow commit order). Pruned by age (catalog-changes.ts).
CREATE TABLE catalog_changes (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  package_id  text NOT NULL,
  xid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
  changed_at  timestamptz NOT NULL DEFAULT now()
);
-- split
CREATE INDEX catalog_changes_xid ON catalog_changes (xid);
-- split
CREATE INDEX catalog_changes_changed_at ON catalog_changes (changed_at);
-- split
-- The one trigger function: attach it (AFTER INSERT OR UPDATE OR DELETE, FOR EACH ROW) to any table
-- with a package_id column the read model loads. `packages` names its key `id`.
-- The notification's payload is the package id; PostgreSQL delivers it at commit, once per distinct
-- payload per transaction, and never for a rolled-back one.
CREATE FUNCTION airlock_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  pkg text;
  old_pkg text;
BEGIN
  IF TG_TABLE_NAME = 'packages' THEN
    IF TG_OP <> 'INSERT' THEN old_pkg := OLD.id; END IF;
    IF TG_OP <> 'DELETE' THEN pkg := NEW.id; END IF;
  ELSE
    IF TG_OP <> 'INSERT' THEN old_pkg := OLD.package_id; END IF;
    IF TG_OP <> 'DELETE' THEN pkg := NEW.package_id; END IF;
  END IF;
  IF old_pkg IS NOT NULL AND old_pkg IS DISTINCT FROM pkg THEN
    INSERT INTO catalog_changes (package_id) VALUES (old_pkg);
    PERFORM pg_notify('airlock_catalog', old_pkg);
  END IF;
  IF pkg IS NOT NULL THEN
    INSERT INTO catalog_changes (package_id) VALUES (pkg);
    PERFORM pg_notify('airlock_catalog', pkg);
  END IF;
  RETURN NULL;
END
$$;
-- split
CREATE TRIGGER packages_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON packages
  FOR EACH ROW EXECUTE FUNCTION airlock_catalog_changed();
-- split
CREATE TRIGGER revisions_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON revisions
  FOR EACH ROW EXECUTE FUNCTION airlock_catalog_changed();
-- split
CREATE TRIGGER resources_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON resources
  FOR EACH ROW EXECUTE FUNCTION airlock_catalog_changed();
-- split
CREATE TRIGGER resource_revisions_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON resource_revisions
  FOR EACH ROW EXECUTE FUNCTION airlock_catalog_changed();
-- split
CREATE TRIGGER revision_resources_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON revision_resources
  FOR EACH ROW EXECUTE FUNCTION airlock_catalog_changed();
-- split
CREATE TRIGGER channel_releases_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON channel_releases
  FOR EACH ROW EXECUTE FUNCTION airlock_catalog_changed();
-- split
CREATE TRIGGER release_history_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON release_history
  FOR EACH ROW EXECUTE FUNCTION airlock_catalog_changed();
-- split
CREATE TRIGGER package_assertions_catalog_changed AFTER INSERT OR UPDATE OR DELETE ON package_assertions
  FOR EACH ROW EXECUTE FUNCTION airlock_catalog_changed();
