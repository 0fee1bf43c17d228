SELECT name, superuser, can_login, has_password FROM sluice.roles ORDER BY name
