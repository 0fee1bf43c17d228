SELECT no_such_column FROM sluice.roles
