SELECT round(avg(n), 2) FROM (VALUES (1.0), (2.0), (4.0)) AS t(n)
