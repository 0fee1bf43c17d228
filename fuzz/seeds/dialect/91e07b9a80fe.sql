SELECT name, superuser, can_login FROM sluice.roles
