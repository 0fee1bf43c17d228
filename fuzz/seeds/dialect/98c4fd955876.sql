SELECT upper(name) || '!' FROM sluice.roles WHERE name LIKE 'slu%' AND can_login
