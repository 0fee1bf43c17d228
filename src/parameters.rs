//! The session parameters the gateway knows: their names, defaults and descriptions.
//!
//! The list follows the parameters PostgreSQL clients actually send or read at start-up
//! (psql, pgjdbc, psycopg, asyncpg, SQLAlchemy, DBeaver …); names, defaults and
//! descriptions are PostgreSQL's (its `pg_settings`). A session's values live in
//! `server::params`; `pg_settings` is built from this table.

use crate::version::PG_VERSION_NUM;

/// How a parameter behaves.
#[derive(Debug, Clone, Copy)]
pub struct ParamDef {
    /// The canonical spelling (SHOW ALL and ParameterStatus use it).
    pub name: &'static str,
    pub default: &'static str,
    /// Sent to the client as ParameterStatus at start-up and whenever it changes.
    pub reported: bool,
    /// Cannot be changed by SET.
    pub read_only: bool,
    pub description: &'static str,
}

const fn def(
    name: &'static str,
    default: &'static str,
    reported: bool,
    read_only: bool,
    description: &'static str,
) -> ParamDef {
    ParamDef { name, default, reported, read_only, description }
}

/// Every parameter the gateway knows.
pub const PARAMS: &[ParamDef] = &[
    def(
        "application_name",
        "",
        true,
        false,
        "Sets the application name to be reported in statistics and logs.",
    ),
    def("bytea_output", "hex", false, false, "Sets the output format for bytea."),
    def("client_encoding", "UTF8", true, false, "Sets the client's character set encoding."),
    def(
        "client_min_messages",
        "notice",
        false,
        false,
        "Sets the message levels that are sent to the client.",
    ),
    def("DateStyle", "ISO, MDY", true, false, "Sets the display format for date and time values."),
    def(
        "default_transaction_isolation",
        "read committed",
        false,
        false,
        "Sets the transaction isolation level of each new transaction.",
    ),
    def(
        "default_transaction_read_only",
        "off",
        true,
        false,
        "Sets the default read-only status of new transactions.",
    ),
    def(
        "extra_float_digits",
        "1",
        false,
        false,
        "Sets the number of digits displayed for floating-point values.",
    ),
    def(
        "idle_in_transaction_session_timeout",
        "0",
        false,
        false,
        "Sets the maximum allowed idle time between queries, when in a transaction.",
    ),
    def("in_hot_standby", "off", true, true, "Shows whether hot standby is currently active."),
    def("integer_datetimes", "on", true, true, "Shows whether datetimes are integer based."),
    def("IntervalStyle", "postgres", true, false, "Sets the display format for interval values."),
    def("is_superuser", "off", true, true, "Shows whether the current user is a superuser."),
    def("lc_messages", "C", false, false, "Sets the language in which messages are displayed."),
    def("lc_monetary", "C", false, false, "Sets the locale for formatting monetary amounts."),
    def("lc_numeric", "C", false, false, "Sets the locale for formatting numbers."),
    def("lc_time", "C", false, false, "Sets the locale for formatting date and time values."),
    def("lock_timeout", "0", false, false, "Sets the maximum allowed duration of any wait for a lock."),
    def("max_identifier_length", "63", false, true, "Shows the maximum identifier length."),
    def("max_index_keys", "32", false, true, "Shows the maximum number of index keys."),
    def(
        "search_path",
        "\"$user\", public",
        true,
        false,
        "Sets the schema search order for names that are not schema-qualified.",
    ),
    def("server_encoding", "UTF8", true, true, "Shows the server (database) character set encoding."),
    def("server_version", "", true, true, "Shows the server version."),
    def("server_version_num", PG_VERSION_NUM, false, true, "Shows the server version as an integer."),
    def("session_authorization", "", true, true, "Shows the session user name."),
    def(
        "standard_conforming_strings",
        "on",
        true,
        true,
        "Causes '...' strings to treat backslashes literally.",
    ),
    def("statement_timeout", "0", false, false, "Sets the maximum allowed duration of any statement."),
    def("TimeZone", "UTC", true, false, "Sets the time zone for displaying and interpreting time stamps."),
    def(
        "transaction_isolation",
        "read committed",
        false,
        false,
        "Sets the current transaction's isolation level.",
    ),
    def("transaction_read_only", "off", false, false, "Sets the current transaction's read-only status."),
    def(
        "xmloption",
        "content",
        false,
        false,
        "Sets whether XML data in implicit parsing and serialization operations is to be considered as documents or content fragments.",
    ),
];

/// Finds a parameter by name, case-insensitively.
pub fn lookup(name: &str) -> Option<&'static ParamDef> {
    PARAMS.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}
