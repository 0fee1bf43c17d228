SHOW SOURCE TYPES;                 -- type, can_read, can_write, engines, description
DESCRIBE SOURCE TYPE mysql;        -- option, value_type, required, default, group, secret, description
SELECT json_schema FROM sluice.source_types WHERE type = 'mysql';   -- JSON Schema for form UIs
