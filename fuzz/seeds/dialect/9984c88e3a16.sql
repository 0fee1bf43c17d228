SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = 'sluice'
