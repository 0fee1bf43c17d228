-- Privileges (PostgreSQL's model, over Sluice's objects). Keep both dialects alike.
--
-- grants: a privilege on one object held by a role (or 'public': every role). The object
-- is named by kind and name ('database' 'sluice', 'source' 'prod_db' …); a DROP of the
-- object removes its rows and a rename follows it (in the same transaction, see
-- store/grants.rs). grantee is not a foreign key: 'public' is no role.
CREATE TABLE grants (
    object_kind   TEXT NOT NULL,
    object_name   TEXT NOT NULL,
    grantee       TEXT NOT NULL,
    privilege     TEXT NOT NULL,          -- 'CREATE' | 'SELECT' | 'USAGE' | 'OPERATE'
    grant_option  BOOLEAN NOT NULL DEFAULT FALSE,
    grantor       TEXT NOT NULL,
    granted_at    BIGINT NOT NULL,
    PRIMARY KEY (object_kind, object_name, grantee, privilege)
);
CREATE INDEX grants_by_grantee ON grants (grantee);

-- Role membership: member has role's privileges (inherit) and may grant role on (admin).
CREATE TABLE role_members (
    role          TEXT NOT NULL REFERENCES roles(name) ON DELETE CASCADE ON UPDATE CASCADE,
    member        TEXT NOT NULL REFERENCES roles(name) ON DELETE CASCADE ON UPDATE CASCADE,
    admin_option  BOOLEAN NOT NULL DEFAULT FALSE,
    inherit       BOOLEAN NOT NULL DEFAULT TRUE,
    grantor       TEXT NOT NULL,
    granted_at    BIGINT NOT NULL,
    PRIMARY KEY (role, member)
);

-- Whether a role's memberships pass their privileges on by default (INHERIT / NOINHERIT).
ALTER TABLE roles ADD COLUMN inherit BOOLEAN NOT NULL DEFAULT TRUE;

-- The built-in target `local` (jobs run inside the gateway) is everyone's to use, as a new
-- gateway grants it; a superuser may REVOKE USAGE ON TARGET local FROM PUBLIC.
INSERT INTO grants (object_kind, object_name, grantee, privilege, grant_option, grantor, granted_at)
SELECT 'target', name, 'public', 'USAGE', FALSE, owner, created_at FROM targets WHERE name = 'local';
