-- Where a pipeline's rows come from and go: one row per pair of tables (input, output)
-- with no columns, and one per output column computed from an input column where the
-- binder could tell. Rewritten with the pipeline's body; sources without databases leave
-- the database columns NULL.
CREATE TABLE pipeline_lineage (
    pipeline         TEXT NOT NULL REFERENCES pipelines(name) ON DELETE CASCADE ON UPDATE CASCADE,
    ordinal          BIGINT NOT NULL,
    input_source     TEXT NOT NULL,
    input_database   TEXT,
    input_table      TEXT NOT NULL,
    input_column     TEXT,
    output_source    TEXT NOT NULL,
    output_database  TEXT,
    output_table     TEXT NOT NULL,
    output_column    TEXT,
    PRIMARY KEY (pipeline, ordinal)
);
