-- A psql script run with ON_ERROR_STOP: roles, parameters and catalog queries.
\set ON_ERROR_STOP on
CREATE ROLE analyst LOGIN PASSWORD 'analyst-pass';
SET application_name = 'tour';
SHOW application_name;
SELECT name, superuser, can_login FROM sluice.roles ORDER BY name;
ALTER ROLE analyst RENAME TO reporter;
SELECT count(*) AS roles FROM sluice.roles WHERE name = 'reporter';
SELECT object_kind, action, object_name FROM sluice.events ORDER BY id;
