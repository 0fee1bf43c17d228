-- Predefined roles (see sluice_catalog::privileges). Keep both dialects alike.
--
-- sluice_create_target: its members may CREATE TARGET (as PostgreSQL's
-- pg_create_subscription lets its members create subscriptions). It cannot log in, and
-- CREATE ROLE refuses names starting with sluice_, so the name is free unless an older
-- gateway let a user take it; then that role is kept as it is.
INSERT INTO roles (name, superuser, can_login, inherit, password_verifier, created_at, updated_at)
VALUES ('sluice_create_target', FALSE, FALSE, TRUE, NULL,
        CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER),
        CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
ON CONFLICT (name) DO NOTHING;
