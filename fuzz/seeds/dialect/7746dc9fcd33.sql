CREATE ROLE analysts;                                -- a team is a role
CREATE ROLE ana LOGIN PASSWORD '…';  GRANT analysts TO ana;   -- members inherit (NOINHERIT: not)
GRANT SELECT ON SOURCE shop_db TO analysts;          -- live SELECT, PREVIEW reads, SHOW TABLES,
                                                     -- DESCRIBE, TEST and REFRESH SOURCE
GRANT CREATE ON DATABASE sluice TO etl;              -- may create sources, secrets, tables,
                                                     -- pipelines, syncs and schedules
GRANT USAGE ON SOURCE shop_db, dw TO etl;            -- a pipeline's/sync's source or sink (and SELECT)
GRANT USAGE ON SECRET shop_pw TO etl;                -- name it in CREATE/ALTER SOURCE (never read it)
GRANT USAGE ON TARGET prod_flink TO etl;             -- START/STOP/RESUME there (local: PUBLIC has it)
GRANT OPERATE ON PIPELINE orders_fanout TO oncall;   -- START/STOP/SUSPEND/RESUME/PREVIEW it
GRANT OPERATE ON SCHEDULE nightly TO oncall;         -- PAUSE/RESUME/RUN it
GRANT ALL ON SOURCE shop_db TO lead WITH GRANT OPTION;
GRANT sluice_create_target TO platform;             -- may CREATE TARGET (predefined role)
REVOKE USAGE ON SOURCE dw FROM etl;
REVOKE GRANT OPTION FOR ALL ON SOURCE shop_db FROM lead CASCADE;  -- and what lead granted with it
ALTER PIPELINE orders_fanout OWNER TO etl;           -- owners ALTER/DROP/operate what they own
SHOW GRANTS;  SHOW GRANTS FOR etl;  SHOW GRANTS ON SOURCE shop_db;
SELECT * FROM sluice.grants;  SELECT * FROM sluice.role_members;
SELECT has_table_privilege('ana', 'shop_db.shop.orders', 'SELECT');   -- as the grants say
