EXPLAIN SELECT * FROM sluice.roles WHERE name = 'x'
