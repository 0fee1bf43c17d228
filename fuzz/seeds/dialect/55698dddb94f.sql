ALTER ROLE grouprole RENAME TO team
