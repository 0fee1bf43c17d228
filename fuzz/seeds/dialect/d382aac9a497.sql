SELECT 'pgax' NOT LIKE 'pg/_%' ESCAPE '/'
