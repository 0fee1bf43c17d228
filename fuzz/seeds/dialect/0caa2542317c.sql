DROP ROLE sluice
