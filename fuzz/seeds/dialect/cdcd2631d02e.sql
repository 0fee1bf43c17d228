INSERT INTO sluice.roles (name) VALUES ('x')
