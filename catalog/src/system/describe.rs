//! What the tables of schema `sluice` hold and how their rows are keyed, as `pg_catalog`
//! shows it to clients: comments (`obj_description`, `col_description`, `\d+`) and the
//! primary and foreign keys of the store tables behind them (`pg_constraint`, `pg_index`),
//! so that DBeaver, SQLAlchemy and pgjdbc show keys and relationships.

/// A key of a `sluice` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// `PRIMARY KEY (columns)`.
    Primary(&'static [&'static str]),
    /// `FOREIGN KEY (columns) REFERENCES table (referenced)`.
    Foreign { columns: &'static [&'static str], table: &'static str, referenced: &'static [&'static str] },
}

/// A table of schema `sluice`: what it holds, its columns' comments in order, its keys.
#[derive(Debug)]
pub struct TableDescription {
    pub table: &'static str,
    pub comment: &'static str,
    /// `(column, comment)`, in the table's column order.
    pub columns: &'static [(&'static str, &'static str)],
    pub keys: &'static [Key],
}

impl TableDescription {
    /// The constraint (and index) name PostgreSQL would give `key` of this table.
    pub fn key_name(&self, key: &Key) -> String {
        match key {
            Key::Primary(_) => format!("{}_pkey", self.table),
            Key::Foreign { columns, .. } => format!("{}_{}_fkey", self.table, columns.join("_")),
        }
    }
}

/// The description of table `name` of schema `sluice`.
pub fn describe(name: &str) -> Option<&'static TableDescription> {
    TABLES.iter().find(|t| t.table == name)
}

use Key::{Foreign, Primary};

const CREATED: &str = "When it was created";
const UPDATED: &str = "When it was last changed";
const OWNER: &str = "The role that owns it";
const OPTIONS: &str = "Its WITH options, as a JSON object (secrets by name, never values)";

/// Every table of schema `sluice`, `source_types` included.
pub const TABLES: &[TableDescription] = &[
    TableDescription {
        table: "roles",
        comment: "Roles that may connect to Sluice and own its objects",
        columns: &[
            ("name", "Role name"),
            ("superuser", "Whether the role bypasses every privilege check"),
            ("can_login", "Whether the role may connect"),
            ("has_password", "Whether a password is set (its SCRAM verifier is never shown)"),
            ("created_at", CREATED),
            ("updated_at", UPDATED),
        ],
        keys: &[Primary(&["name"])],
    },
    TableDescription {
        table: "role_members",
        comment: "Role memberships: a member has the role's privileges (with inherit) and may grant it on (with admin option)",
        columns: &[
            ("role", "The role granted"),
            ("member", "The role that is a member of it"),
            ("admin_option", "Whether the member may grant the role to others"),
            ("inherit", "Whether the member has the role's privileges without SET ROLE"),
            ("grantor", "Who granted the membership"),
            ("granted_at", "When it was granted"),
        ],
        keys: &[
            Primary(&["role", "member"]),
            Foreign { columns: &["role"], table: "roles", referenced: &["name"] },
            Foreign { columns: &["member"], table: "roles", referenced: &["name"] },
        ],
    },
    TableDescription {
        table: "grants",
        comment: "Privileges held on objects (GRANT … ON kind name TO role); owners hold every privilege without a row",
        columns: &[
            ("object_kind", "database, source, secret, target, pipeline or schedule"),
            ("object_name", "The object's name"),
            ("grantee", "The role holding it, or public (every role)"),
            ("privilege", "CREATE, SELECT, USAGE or OPERATE"),
            ("grantable", "Whether the grantee may grant it to others (WITH GRANT OPTION)"),
            ("grantor", "Who granted it"),
            ("granted_at", "When it was granted"),
        ],
        keys: &[Primary(&["object_kind", "object_name", "grantee", "privilege"])],
    },
    TableDescription {
        table: "secrets",
        comment: "Named secrets that source and target options refer to; values are never shown",
        columns: &[
            ("name", "Secret name"),
            ("kind", "text or binary"),
            ("used_by", "The sources that refer to it, comma-separated"),
            ("owner", OWNER),
            ("created_at", CREATED),
            ("updated_at", UPDATED),
        ],
        keys: &[Primary(&["name"])],
    },
    TableDescription {
        table: "sources",
        comment: "External systems that pipelines read from or write to (CREATE SOURCE)",
        columns: &[
            ("name", "Source name, the catalog its tables are queried under"),
            ("type", "Connector type (mysql, postgres, kafka, …), a row of sluice.source_types"),
            ("options", OPTIONS),
            ("status", "Whether Sluice last reached it: unknown, ok or an error"),
            ("owner", OWNER),
            ("created_at", CREATED),
            ("updated_at", UPDATED),
        ],
        keys: &[Primary(&["name"])],
    },
    TableDescription {
        table: "source_types",
        comment: "The connector types CREATE SOURCE accepts and what each can do",
        columns: &[
            ("type", "Connector type name"),
            ("can_read", "Whether pipelines may read from it"),
            ("can_write", "Whether pipelines may write to it"),
            ("engines", "The engines that run pipelines over it"),
            ("description", "What it connects to"),
            ("json_schema", "The JSON Schema of its WITH options"),
        ],
        keys: &[Primary(&["type"])],
    },
    TableDescription {
        table: "tables",
        comment: "Tables of each source, as REFRESH SOURCE read them or CREATE TABLE declared them",
        columns: &[
            ("source", "The source holding the table"),
            ("database", "Its database or schema in the source ('' where the source has none)"),
            ("name", "Table name"),
            ("kind", "introspected or declared"),
            ("definition", "Declared WITH options, watermark and computed columns, as JSON"),
            ("refreshed_at", "When it was last read from the source"),
        ],
        keys: &[
            Primary(&["source", "database", "name"]),
            Foreign { columns: &["source"], table: "sources", referenced: &["name"] },
        ],
    },
    TableDescription {
        table: "columns",
        comment: "Columns of the tables in sluice.tables",
        columns: &[
            ("source", "The source holding the table"),
            ("database", "The table's database or schema in the source"),
            ("table_name", "The table"),
            ("ordinal", "Position of the column in the table, from 1"),
            ("name", "Column name"),
            ("data_type", "Its type in Sluice (Flink SQL)"),
            ("source_type", "Its type as the source names it"),
            ("nullable", "Whether it may be NULL"),
            ("is_key", "Whether it is part of the table's primary key"),
        ],
        keys: &[
            Primary(&["source", "database", "table_name", "ordinal"]),
            Foreign {
                columns: &["source", "database", "table_name"],
                table: "tables",
                referenced: &["source", "database", "name"],
            },
        ],
    },
    TableDescription {
        table: "targets",
        comment: "Where pipelines are deployed: Flink clusters, Kubernetes, SeaTunnel (CREATE TARGET)",
        columns: &[
            ("name", "Target name"),
            ("type", "Target type"),
            ("options", OPTIONS),
            ("owner", OWNER),
            ("created_at", CREATED),
            ("updated_at", UPDATED),
        ],
        keys: &[Primary(&["name"])],
    },
    TableDescription {
        table: "pipelines",
        comment: "Pipelines (CREATE PIPELINE), at their current version",
        columns: &[
            ("name", "Pipeline name"),
            ("version", "Current version, from 1, raised by each CREATE OR REPLACE"),
            ("engine", "The engine that runs it"),
            ("mode", "streaming or batch"),
            ("target", "The target it deploys to by default"),
            ("options", OPTIONS),
            ("body", "Its INSERT INTO … SELECT statements"),
            ("owner", OWNER),
            ("created_at", CREATED),
            ("updated_at", UPDATED),
        ],
        keys: &[Primary(&["name"])],
    },
    TableDescription {
        table: "pipeline_versions",
        comment: "Every version each pipeline has had",
        columns: &[
            ("pipeline", "The pipeline"),
            ("version", "Version number"),
            ("options", OPTIONS),
            ("body", "Its statements at that version"),
            ("created_by", "The role that created the version"),
            ("created_at", CREATED),
        ],
        keys: &[Primary(&["pipeline", "version"])],
    },
    TableDescription {
        table: "lineage",
        comment: "Where each pipeline's rows come from: a row per input and output table, and a row per output column computed from an input column",
        columns: &[
            ("pipeline", "The pipeline"),
            (
                "ordinal",
                "Position of the edge among the pipeline's, from 0: per INSERT its tables, then its columns in order",
            ),
            ("input_source", "Source of the table read"),
            ("input_database", "Database of the table read (NULL: the source has none)"),
            ("input_table", "The table read"),
            ("input_column", "The column read (NULL on the row of the tables)"),
            ("output_source", "Source of the table written"),
            ("output_database", "Database of the table written (NULL: the source has none)"),
            ("output_table", "The table written"),
            ("output_column", "The column written (NULL on the row of the tables)"),
        ],
        keys: &[
            Primary(&["pipeline", "ordinal"]),
            Foreign { columns: &["pipeline"], table: "pipelines", referenced: &["name"] },
        ],
    },
    TableDescription {
        table: "deployments",
        comment: "Each start of a pipeline on a target, and its state",
        columns: &[
            ("id", "Deployment number"),
            ("pipeline", "The pipeline deployed"),
            ("pipeline_version", "The version of the pipeline deployed"),
            ("target", "Where it runs"),
            ("engine", "The engine running it"),
            ("engine_job_id", "The job's id in the engine"),
            ("state", "Its state (starting, running, stopped, failed, …)"),
            ("since", "When it entered that state"),
            ("last_error", "The last error the engine reported"),
            ("savepoint", "The savepoint it stopped with"),
            ("started_from", "The savepoint it started from"),
            ("rows_in", "Rows read, as the engine last reported"),
            ("rows_out", "Rows written, as the engine last reported"),
            ("created_at", CREATED),
            ("updated_at", UPDATED),
        ],
        keys: &[Primary(&["id"])],
    },
    TableDescription {
        table: "syncs",
        comment: "Whole-database syncs (CREATE SYNC DATABASE)",
        columns: &[
            ("name", "Sync name"),
            ("source", "The source read"),
            ("source_database", "The database read, or the pattern of the databases read"),
            (
                "source_database_pattern",
                "Whether source_database is a regular expression over database names (DATABASES 'regex')",
            ),
            ("including", "Pattern of the tables included"),
            ("excluding", "Pattern of the tables excluded"),
            ("sink", "The source written to"),
            ("sink_database", "The database written to"),
            ("options", OPTIONS),
            ("owner", OWNER),
            ("created_at", CREATED),
            ("updated_at", UPDATED),
        ],
        keys: &[Primary(&["name"])],
    },
    TableDescription {
        table: "sync_tables",
        comment: "The tables each sync moves, as planned from the source's metadata",
        columns: &[
            ("sync", "The sync"),
            ("source_table", "Table read"),
            ("sink_table", "Table written"),
            ("columns", "Its columns with source and sink types, as JSON"),
            ("ddl", "The CREATE TABLE run on the sink first (empty when the sink creates it)"),
        ],
        keys: &[
            Primary(&["sync", "source_table"]),
            Foreign { columns: &["sync"], table: "syncs", referenced: &["name"] },
        ],
    },
    TableDescription {
        table: "schedules",
        comment: "Schedules of batch pipelines (CREATE SCHEDULE)",
        columns: &[
            ("name", "Schedule name"),
            ("cron", "When it fires, as a cron expression"),
            ("timezone", "The time zone the cron expression is read in"),
            ("options", OPTIONS),
            ("body", "Its RUN PIPELINE … AFTER … statements"),
            ("state", "active or paused"),
            ("next_fire_at", "When it fires next"),
            ("owner", OWNER),
            ("created_at", CREATED),
            ("updated_at", UPDATED),
        ],
        keys: &[Primary(&["name"])],
    },
    TableDescription {
        table: "runs",
        comment: "Runs of schedules, by cron, by hand or as backfills",
        columns: &[
            ("id", "Run number"),
            ("schedule", "The schedule run"),
            ("trigger", "cron, manual or backfill"),
            ("logical_time", "The fire time it stands for"),
            ("interval_start", "Start of the data interval it processes"),
            ("interval_end", "End of the data interval it processes"),
            ("state", "Its state"),
            ("started_at", "When it started"),
            ("finished_at", "When it finished"),
            ("error", "Why it failed"),
            ("lease_owner", "The gateway running it"),
            ("lease_until", "Until when that gateway holds it"),
            ("created_at", CREATED),
        ],
        keys: &[Primary(&["id"])],
    },
    TableDescription {
        table: "run_tasks",
        comment: "The pipelines of each run and how each went",
        columns: &[
            ("run", "The run"),
            ("pipeline", "The pipeline run"),
            ("upstream", "The pipelines it runs after, as a JSON array"),
            ("state", "Its state"),
            ("attempt", "Attempts so far"),
            ("deployment", "The deployment of the current attempt"),
            ("started_at", "When it started"),
            ("finished_at", "When it finished"),
            ("error", "Why it failed"),
        ],
        keys: &[Primary(&["run", "pipeline"])],
    },
    TableDescription {
        table: "schedule_tasks",
        comment: "The DAG of each schedule: a pipeline and what it runs after",
        columns: &[
            ("schedule", "The schedule"),
            ("pipeline", "The pipeline run"),
            ("upstream", "The pipelines it runs after, as a JSON array"),
        ],
        keys: &[Primary(&["schedule", "pipeline"])],
    },
    TableDescription {
        table: "events",
        comment: "What happened to Sluice's objects, by whom: the audit log",
        columns: &[
            ("id", "Event number"),
            ("at", "When it happened"),
            ("actor", "The role, or the component, that acted"),
            ("action", "What was done (create, alter, drop, state, …)"),
            ("object_kind", "The kind of object acted on"),
            ("object_name", "The object acted on"),
            ("detail", "Details, as text"),
        ],
        keys: &[Primary(&["id"])],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::{SYSTEM_TABLES, source_types_schema};

    fn column_names(table: &str) -> Vec<String> {
        if table == "source_types" {
            return source_types_schema().fields().iter().map(|f| f.name().clone()).collect();
        }
        let def = SYSTEM_TABLES.iter().find(|d| d.name == table).expect("a system table");
        def.columns.iter().map(|(name, ..)| name.to_string()).collect()
    }

    #[test]
    fn every_table_and_column_is_described_in_order() {
        let mut described: Vec<&str> = TABLES.iter().map(|t| t.table).collect();
        let mut tables: Vec<&str> = SYSTEM_TABLES.iter().map(|d| d.name).chain(["source_types"]).collect();
        described.sort();
        tables.sort();
        assert_eq!(described, tables);
        for table in TABLES {
            let names: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
            assert_eq!(names, column_names(table.table), "{}", table.table);
        }
    }

    #[test]
    fn keys_name_existing_columns_and_reference_primary_keys() {
        for table in TABLES {
            let names = column_names(table.table);
            assert!(matches!(table.keys.first(), Some(Key::Primary(_))), "{} has a primary key", table.table);
            for key in table.keys {
                let (columns, referenced) = match key {
                    Key::Primary(columns) => (*columns, None),
                    Key::Foreign { columns, table, referenced } => (*columns, Some((*table, *referenced))),
                };
                assert!(columns.iter().all(|c| names.iter().any(|n| n == c)), "{key:?}");
                if let Some((other, referenced)) = referenced {
                    let target = describe(other).expect("referenced table");
                    assert_eq!(target.keys.first(), Some(&Key::Primary(referenced)), "{key:?}");
                }
            }
        }
    }
}
