SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname IN ('sluice', 'public', 'pg_catalog')
