SELECT count(*) FROM sluice.sources
