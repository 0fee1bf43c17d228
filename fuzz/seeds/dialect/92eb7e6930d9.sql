SELECT name FROM sluice.roles
