SELECT 'pg_x' NOT LIKE 'pg/_%' ESCAPE '/'
