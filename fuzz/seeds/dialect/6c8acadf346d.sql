SELECT count(*) FROM roles
