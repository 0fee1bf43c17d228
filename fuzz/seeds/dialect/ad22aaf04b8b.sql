DROP ROLE IF EXISTS team, nobody
