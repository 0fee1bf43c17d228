//! The system tables of schema `sluice`: their columns, and the store query behind each.
//!
//! Column types are deliberately few — text, bigint, boolean, timestamptz — so that every
//! PostgreSQL client and BI tool renders them without surprises. JSON documents (options,
//! definitions) are text holding JSON. Nothing secret is ever selected: roles show whether
//! a password is set, secrets show their names and users, never values.

use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};

/// Column types used by system tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Text,
    Int,
    Bool,
    Time,
}

impl Col {
    fn data_type(self) -> DataType {
        match self {
            Col::Text => DataType::Utf8,
            Col::Int => DataType::Int64,
            Col::Bool => DataType::Boolean,
            Col::Time => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        }
    }
}

/// A table of schema `sluice` that reads the store.
#[derive(Debug)]
pub struct SystemTableDef {
    pub name: &'static str,
    /// `(name, type, nullable)` in order.
    pub columns: &'static [(&'static str, Col, bool)],
    /// Selects exactly `columns`, in order, from the store; ends with its `FROM` clause
    /// (no `WHERE`, no `ORDER BY`), so that pushed filters, order and limit can follow.
    pub sql: &'static str,
    /// The order rows are listed in when a query asks for none.
    pub order_by: &'static str,
    /// Every write to the table's rows bumps the catalog epoch (it is changed by DDL only),
    /// so its query results may be kept until the epoch moves.
    pub cached: bool,
    /// Columns computed in `sql` rather than stored: filters on them are not pushed.
    pub derived: &'static [&'static str],
}

impl SystemTableDef {
    /// The Arrow schema of this table.
    pub fn schema(&self) -> Schema {
        Schema::new(
            self.columns
                .iter()
                .map(|(name, col, nullable)| Field::new(*name, col.data_type(), *nullable))
                .collect::<Vec<_>>(),
        )
    }

    /// The store query reading this table's rows: `condition` (over stored column names,
    /// with `$n` parameters) filters them, `order` replaces the default order, `limit` caps
    /// them.
    pub fn query(&self, condition: Option<&str>, order: Option<&str>, limit: Option<usize>) -> String {
        let mut sql = self.sql.trim_end().to_owned();
        if let Some(condition) = condition {
            sql.push_str(" WHERE ");
            sql.push_str(condition);
        }
        sql.push_str(" ORDER BY ");
        sql.push_str(order.unwrap_or(self.order_by));
        if let Some(limit) = limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        sql
    }

    /// Whether `column` is stored as such (so a filter on it can run in the store).
    pub fn is_stored(&self, column: &str) -> bool {
        !self.derived.contains(&column) && self.columns.iter().any(|(name, ..)| *name == column)
    }
}

use Col::{Bool, Int, Text, Time};

/// Every store-backed system table.
pub const SYSTEM_TABLES: &[SystemTableDef] = &[
    SystemTableDef {
        name: "roles",
        columns: &[
            ("name", Text, false),
            ("superuser", Bool, false),
            ("can_login", Bool, false),
            ("has_password", Bool, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        sql: "SELECT name, superuser, can_login, \
              CASE WHEN password_verifier IS NULL THEN FALSE ELSE TRUE END, \
              created_at, updated_at FROM roles",
        order_by: "name",
        cached: true,
        derived: &["has_password"],
    },
    SystemTableDef {
        name: "role_members",
        columns: &[
            ("role", Text, false),
            ("member", Text, false),
            ("admin_option", Bool, false),
            ("inherit", Bool, false),
            ("grantor", Text, false),
            ("granted_at", Time, false),
        ],
        sql: "SELECT role, member, admin_option, inherit, grantor, granted_at FROM role_members",
        order_by: "role, member",
        cached: true,
        derived: &[],
    },
    SystemTableDef {
        name: "grants",
        columns: &[
            ("object_kind", Text, false),
            ("object_name", Text, false),
            ("grantee", Text, false),
            ("privilege", Text, false),
            ("grantable", Bool, false),
            ("grantor", Text, false),
            ("granted_at", Time, false),
        ],
        sql: "SELECT object_kind, object_name, grantee, privilege, grant_option, grantor, granted_at \
              FROM grants",
        order_by: "object_kind, object_name, grantee, privilege",
        cached: true,
        derived: &[],
    },
    SystemTableDef {
        name: "secrets",
        columns: &[
            ("name", Text, false),
            ("kind", Text, false),
            ("used_by", Text, true),
            ("owner", Text, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        sql: "SELECT s.name, s.kind, \
              (SELECT string_agg(ss.source, ',') FROM source_secrets ss WHERE ss.secret = s.name), \
              s.owner, s.created_at, s.updated_at FROM secrets s",
        order_by: "s.name",
        cached: true,
        derived: &["used_by"],
    },
    SystemTableDef {
        name: "sources",
        columns: &[
            ("name", Text, false),
            ("type", Text, false),
            ("options", Text, false),
            ("status", Text, false),
            ("owner", Text, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        sql: "SELECT name, type, options, status, owner, created_at, updated_at \
              FROM sources",
        order_by: "name",
        cached: true,
        derived: &[],
    },
    SystemTableDef {
        name: "tables",
        columns: &[
            ("source", Text, false),
            ("database", Text, false),
            ("name", Text, false),
            ("kind", Text, false),
            ("definition", Text, true),
            ("refreshed_at", Time, false),
        ],
        sql: "SELECT source, database, name, kind, definition, refreshed_at \
              FROM tables",
        order_by: "source, database, name",
        cached: true,
        derived: &[],
    },
    SystemTableDef {
        name: "columns",
        columns: &[
            ("source", Text, false),
            ("database", Text, false),
            ("table_name", Text, false),
            ("ordinal", Int, false),
            ("name", Text, false),
            ("data_type", Text, false),
            ("source_type", Text, false),
            ("nullable", Bool, false),
            ("is_key", Bool, false),
        ],
        sql: "SELECT source, database, table_name, ordinal, name, data_type, source_type, \
              nullable, is_key FROM columns",
        order_by: "source, database, table_name, ordinal",
        cached: true,
        derived: &[],
    },
    SystemTableDef {
        name: "targets",
        columns: &[
            ("name", Text, false),
            ("type", Text, false),
            ("options", Text, false),
            ("owner", Text, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        sql: "SELECT name, type, options, owner, created_at, updated_at FROM targets",
        order_by: "name",
        cached: true,
        derived: &[],
    },
    SystemTableDef {
        name: "pipelines",
        columns: &[
            ("name", Text, false),
            ("version", Int, false),
            ("engine", Text, false),
            ("mode", Text, false),
            ("target", Text, true),
            ("options", Text, false),
            ("body", Text, false),
            ("owner", Text, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        sql: "SELECT name, version, engine, mode, target, options, body, owner, created_at, \
              updated_at FROM pipelines",
        order_by: "name",
        cached: true,
        derived: &[],
    },
    SystemTableDef {
        name: "pipeline_versions",
        columns: &[
            ("pipeline", Text, false),
            ("version", Int, false),
            ("options", Text, false),
            ("body", Text, false),
            ("created_by", Text, false),
            ("created_at", Time, false),
        ],
        sql: "SELECT pipeline, version, options, body, created_by, created_at \
              FROM pipeline_versions",
        order_by: "pipeline, version",
        cached: true,
        derived: &[],
    },
    SystemTableDef {
        name: "lineage",
        columns: &[
            ("pipeline", Text, false),
            ("ordinal", Int, false),
            ("input_source", Text, false),
            ("input_database", Text, true),
            ("input_table", Text, false),
            ("input_column", Text, true),
            ("output_source", Text, false),
            ("output_database", Text, true),
            ("output_table", Text, false),
            ("output_column", Text, true),
        ],
        sql: "SELECT pipeline, ordinal, input_source, input_database, input_table, input_column, \
              output_source, output_database, output_table, output_column FROM pipeline_lineage",
        order_by: "pipeline, ordinal",
        cached: true,
        derived: &[],
    },
    SystemTableDef {
        name: "deployments",
        columns: &[
            ("id", Int, false),
            ("pipeline", Text, false),
            ("pipeline_version", Int, false),
            ("target", Text, false),
            ("engine", Text, false),
            ("engine_job_id", Text, true),
            ("state", Text, false),
            ("since", Time, false),
            ("last_error", Text, true),
            ("savepoint", Text, true),
            ("started_from", Text, true),
            ("rows_in", Int, true),
            ("rows_out", Int, true),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        sql: "SELECT id, pipeline, pipeline_version, target, engine, engine_job_id, state, \
              since, last_error, savepoint, started_from, rows_in, rows_out, created_at, updated_at \
              FROM deployments",
        order_by: "id",
        cached: false,
        derived: &[],
    },
    SystemTableDef {
        name: "syncs",
        columns: &[
            ("name", Text, false),
            ("source", Text, false),
            ("source_database", Text, false),
            ("source_database_pattern", Bool, false),
            ("including", Text, true),
            ("excluding", Text, true),
            ("sink", Text, false),
            ("sink_database", Text, false),
            ("options", Text, false),
            ("owner", Text, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        sql: "SELECT name, source, source_database, source_database_pattern, including, excluding, sink, \
              sink_database, options, owner, created_at, updated_at FROM syncs",
        order_by: "name",
        cached: true,
        derived: &[],
    },
    SystemTableDef {
        name: "sync_tables",
        columns: &[
            ("sync", Text, false),
            ("source_table", Text, false),
            ("sink_table", Text, false),
            ("columns", Text, false),
            ("ddl", Text, false),
        ],
        sql: "SELECT sync, source_table, sink_table, columns, ddl FROM sync_tables \
             ",
        order_by: "sync, ordinal, source_table",
        cached: true,
        derived: &[],
    },
    SystemTableDef {
        name: "schedules",
        columns: &[
            ("name", Text, false),
            ("cron", Text, false),
            ("timezone", Text, false),
            ("options", Text, false),
            ("body", Text, false),
            ("state", Text, false),
            ("next_fire_at", Time, true),
            ("owner", Text, false),
            ("created_at", Time, false),
            ("updated_at", Time, false),
        ],
        sql: "SELECT name, cron, timezone, options, body, state, next_fire_at, owner, \
              created_at, updated_at FROM schedules",
        order_by: "name",
        cached: false,
        derived: &[],
    },
    SystemTableDef {
        name: "runs",
        columns: &[
            ("id", Int, false),
            ("schedule", Text, true),
            ("trigger", Text, false),
            ("logical_time", Time, true),
            ("interval_start", Time, true),
            ("interval_end", Time, true),
            ("state", Text, false),
            ("started_at", Time, true),
            ("finished_at", Time, true),
            ("error", Text, true),
            ("lease_owner", Text, true),
            ("lease_until", Time, true),
            ("created_at", Time, false),
        ],
        sql: "SELECT id, schedule, trigger, logical_time, interval_start, interval_end, state, started_at, \
              finished_at, error, lease_owner, lease_until, created_at FROM runs",
        order_by: "id",
        cached: false,
        derived: &[],
    },
    SystemTableDef {
        name: "run_tasks",
        columns: &[
            ("run", Int, false),
            ("pipeline", Text, false),
            ("upstream", Text, false),
            ("state", Text, false),
            ("attempt", Int, false),
            ("deployment", Int, true),
            ("started_at", Time, true),
            ("finished_at", Time, true),
            ("error", Text, true),
        ],
        sql: "SELECT run, pipeline, upstream, state, attempt, deployment, started_at, finished_at, error \
              FROM run_tasks",
        order_by: "run, ordinal",
        cached: false,
        derived: &[],
    },
    SystemTableDef {
        name: "schedule_tasks",
        columns: &[("schedule", Text, false), ("pipeline", Text, false), ("upstream", Text, false)],
        sql: "SELECT schedule, pipeline, upstream FROM schedule_tasks",
        order_by: "schedule, ordinal",
        cached: true,
        derived: &[],
    },
    SystemTableDef {
        name: "events",
        columns: &[
            ("id", Int, false),
            ("at", Time, false),
            ("actor", Text, false),
            ("action", Text, false),
            ("object_kind", Text, false),
            ("object_name", Text, false),
            ("detail", Text, true),
        ],
        sql: "SELECT id, at, actor, action, object_kind, object_name, detail FROM events",
        order_by: "id",
        cached: false,
        derived: &[],
    },
];
