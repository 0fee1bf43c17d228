CREATE ROLE grouprole
