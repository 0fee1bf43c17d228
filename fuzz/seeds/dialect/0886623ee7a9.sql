SELECT version() LIKE 'PostgreSQL 16.%'
