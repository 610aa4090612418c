-- The one catalog behind Charmhub (charms, bundles) and the Snap Store (snaps).
-- Statements are separated by "-- split" lines: PGlite runs one statement per prepared query.

-- Content-addressed blobs on disk (<data-dir>/blobs/sha256/..); hashes computed once, at write.
CREATE TABLE blobs (
  sha256      text PRIMARY KEY,
  size        bigint NOT NULL CHECK (size >= 0),
  sha384      text NOT NULL,
  sha3_384    text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
-- split
-- A package: a charm, a bundle or a snap. Charms and bundles share Charmhub's namespace.
CREATE TABLE packages (
  id           text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9]{32}$'),
  namespace    text NOT NULL CHECK (namespace IN ('charmhub', 'snapstore')),
  type         text NOT NULL CHECK (type IN ('charm', 'bundle', 'snap')),
  name         text NOT NULL,
  store        text NOT NULL DEFAULT 'ubuntu',
  publisher    jsonb,
  summary      text NOT NULL DEFAULT '',
  description  text NOT NULL DEFAULT '',
  title        text NOT NULL DEFAULT '',
  -- store-facing details from an export (links, media, categories ...), kept for info responses.
  details      jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (namespace, name)
);
-- split
-- One uploaded artifact. A revision number is unique per package across bases and architectures.
CREATE TABLE revisions (
  package_id     text NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  revision       integer NOT NULL CHECK (revision > 0),
  version        text NOT NULL DEFAULT '',
  blob_sha256    text NOT NULL REFERENCES blobs(sha256),
  -- [{"name":"ubuntu","channel":"22.04","architecture":"amd64"}]; snaps: [{"architecture":"amd64"}]
  platforms      jsonb NOT NULL,
  metadata_yaml  text,
  config_yaml    text,
  actions_yaml   text,
  manifest_yaml  text,
  bundle_yaml    text,
  readme_md      text,
  snap_yaml      text,
  attributes     jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- per-type extras: charm relations/subordinate, snap confinement/grade/epoch/base
  extra          jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (package_id, revision)
);
-- split
CREATE INDEX revisions_blob ON revisions (blob_sha256);
-- split
-- Resources a charm declares (metadata.yaml), and their uploaded revisions.
CREATE TABLE resources (
  package_id   text NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  name         text NOT NULL,
  type         text NOT NULL CHECK (type IN ('file', 'oci-image')),
  filename     text NOT NULL DEFAULT '',
  description  text NOT NULL DEFAULT '',
  PRIMARY KEY (package_id, name)
);
-- split
CREATE TABLE resource_revisions (
  package_id   text NOT NULL,
  name         text NOT NULL,
  revision     integer NOT NULL CHECK (revision >= 0),
  type         text NOT NULL CHECK (type IN ('file', 'oci-image')),
  blob_sha256  text NOT NULL REFERENCES blobs(sha256),
  -- oci-image: the image reference the export carried (ImageName), for list-images and rewriting
  image_name   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (package_id, name, revision),
  FOREIGN KEY (package_id, name) REFERENCES resources(package_id, name) ON DELETE CASCADE
);
-- split
CREATE INDEX resource_revisions_blob ON resource_revisions (blob_sha256);
-- split
-- Which resource revisions ship with a package revision (Charmhub's release resources).
CREATE TABLE revision_resources (
  package_id         text NOT NULL,
  revision           integer NOT NULL,
  resource_name      text NOT NULL,
  resource_revision  integer NOT NULL,
  PRIMARY KEY (package_id, revision, resource_name),
  FOREIGN KEY (package_id, revision) REFERENCES revisions(package_id, revision) ON DELETE CASCADE,
  FOREIGN KEY (package_id, resource_name, resource_revision) REFERENCES resource_revisions(package_id, name, revision)
);
-- split
-- Current channel pointers: one revision per (channel, platform). Snaps use empty base name/channel.
CREATE TABLE channel_releases (
  package_id    text NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  track         text NOT NULL,
  risk          text NOT NULL CHECK (risk IN ('stable', 'candidate', 'beta', 'edge')),
  branch        text NOT NULL DEFAULT '',
  base_name     text NOT NULL DEFAULT '',
  base_channel  text NOT NULL DEFAULT '',
  architecture  text NOT NULL,
  revision      integer NOT NULL,
  released_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (package_id, track, risk, branch, base_name, base_channel, architecture),
  FOREIGN KEY (package_id, revision) REFERENCES revisions(package_id, revision) ON DELETE CASCADE
);
-- split
-- Every release ever made, in order (snapd needs a revision's channel history; audits too).
CREATE TABLE release_history (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  package_id    text NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  track         text NOT NULL,
  risk          text NOT NULL,
  branch        text NOT NULL DEFAULT '',
  base_name     text NOT NULL DEFAULT '',
  base_channel  text NOT NULL DEFAULT '',
  architecture  text NOT NULL,
  revision      integer,
  released_at   timestamptz NOT NULL DEFAULT now()
);
-- split
CREATE INDEX release_history_package ON release_history (package_id, id);
-- split
-- Assertions kept with packages, byte for byte as they arrived (snapd verifies the signatures).
-- primary_key is the assertion type's primary key headers joined with "/", e.g. the account-id.
CREATE TABLE assertions (
  type         text NOT NULL,
  primary_key  text NOT NULL,
  revision     integer NOT NULL DEFAULT 0,
  body         bytea NOT NULL,
  headers      jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (type, primary_key)
);
-- split
CREATE TABLE package_assertions (
  package_id      text NOT NULL REFERENCES packages(id) ON DELETE CASCADE,
  assertion_type  text NOT NULL,
  primary_key     text NOT NULL,
  PRIMARY KEY (package_id, assertion_type, primary_key),
  FOREIGN KEY (assertion_type, primary_key) REFERENCES assertions(type, primary_key)
);
