SELECT count(*) / 0 FROM sluice.roles
