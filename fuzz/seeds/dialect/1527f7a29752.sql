SELECT * FROM sluice.missing
