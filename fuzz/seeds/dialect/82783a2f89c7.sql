SELECT r.name, count(e.id) FROM sluice.roles r LEFT JOIN sluice.events e ON e.object_name = r.name GROUP BY r.name
