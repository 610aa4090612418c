-- Admin tokens and the audit trail (docs/decisions/0017). Neither table is part of the catalog's
-- read model: the admin API reads them per request, replicas need no change notification.

-- One row per admin token (a JWT's jti). The JWT itself is never stored: the signing key proves
-- it, this row says whether it still counts. Tokens minted before this table existed are
-- registered here the first time they are used.
CREATE TABLE admin_tokens (
  id            text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
  name          text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
-- split
-- Every change made through the admin API: who (token id and name as they were), what, when.
-- package_* and revisions are kept as text and numbers, not references: the trail outlives what
-- it names (a removed package's entries stay).
CREATE TABLE audit_log (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at            timestamptz NOT NULL DEFAULT now(),
  token_id      text NOT NULL,
  token_name    text NOT NULL DEFAULT '',
  action        text NOT NULL,
  package_type  text,
  package_name  text,
  package_id    text,
  -- [7, 8]
  revisions     jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- ["latest/stable ubuntu@22.04/amd64", ...]
  channels      jsonb NOT NULL DEFAULT '[]'::jsonb,
  detail        jsonb NOT NULL DEFAULT '{}'::jsonb
);
-- split
CREATE INDEX audit_log_at ON audit_log (at);
-- split
CREATE INDEX audit_log_package ON audit_log (package_name, action);
