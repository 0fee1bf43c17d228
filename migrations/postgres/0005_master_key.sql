-- Which master key the catalog's secrets are sealed with: a fingerprint (a hash of the
-- key, never the key), stored on first start and checked at every start.
CREATE TABLE master_key (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    set_at      BIGINT NOT NULL
);
