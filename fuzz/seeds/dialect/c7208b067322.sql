SELECT * FROM (VALUES (1, 'one'), (2, 'two')) AS t(n, word) ORDER BY n
