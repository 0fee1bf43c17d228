DELETE FROM sluice.roles
