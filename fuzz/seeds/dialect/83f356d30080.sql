SELECT no_column FROM sluice.roles
