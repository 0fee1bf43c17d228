CREATE ROLE auditor
