WITH r AS (SELECT name FROM sluice.roles) SELECT count(*) FROM r
