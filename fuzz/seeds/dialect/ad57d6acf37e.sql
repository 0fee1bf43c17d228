SELECT action, object_name FROM sluice.events WHERE object_kind = 'role' AND object_name = 'auditor'
