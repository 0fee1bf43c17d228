SELECT sum(value) FROM generate_series(1, 100)
