//! PostgreSQL 15's types for the `pg_catalog` columns that datafusion-pg-catalog ships as
//! text.
//!
//! The crate's static snapshot keeps arrays, vectors and `regproc` columns as strings
//! (`indkey = '1 2'`, `proargtypes = '[2276]'`, `typinput = 'boolin'`), and its dynamic
//! tables lack a few columns. Clients index, unnest and compare these columns as
//! PostgreSQL types them (`i.indkey[0]`, `unnest(conkey)`, `typinput::oid`), so Sluice
//! converts them: this table is the list, taken from PostgreSQL 15's own catalogs
//! (`format_type(atttypid, atttypmod)` of each column, compared with what the crate
//! provides). `int2vector`/`oidvector` become `int2[]`/`oid[]`, `aclitem[]` and
//! `"char"[]` become `text[]`, `regproc` becomes the function's oid (an int4, as every
//! oid is in Sluice).

/// What a column is in PostgreSQL, as far as conversion goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgColumn {
    Int2Array,
    OidArray,
    TextArray,
    Float4Array,
    /// A function named by text, converted to its `pg_proc.oid` (0 for `-`).
    RegProc,
    Text,
}

/// Whether the crate has the column (as text, to convert) or lacks it (added, NULL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Retype(PgColumn),
    Added(PgColumn),
}

use Change::{Added, Retype};
use PgColumn::{Float4Array, Int2Array, OidArray, RegProc, Text, TextArray};

/// `(table, column, change)`, from PostgreSQL 15.
pub const COLUMNS: &[(&str, &str, Change)] = &[
    ("pg_aggregate", "aggfnoid", Retype(RegProc)),
    ("pg_aggregate", "aggtransfn", Retype(RegProc)),
    ("pg_aggregate", "aggfinalfn", Retype(RegProc)),
    ("pg_aggregate", "aggcombinefn", Retype(RegProc)),
    ("pg_aggregate", "aggserialfn", Retype(RegProc)),
    ("pg_aggregate", "aggdeserialfn", Retype(RegProc)),
    ("pg_aggregate", "aggmtransfn", Retype(RegProc)),
    ("pg_aggregate", "aggminvtransfn", Retype(RegProc)),
    ("pg_aggregate", "aggmfinalfn", Retype(RegProc)),
    ("pg_am", "amhandler", Retype(RegProc)),
    ("pg_amproc", "amproc", Retype(RegProc)),
    ("pg_attribute", "attacl", Retype(TextArray)),
    ("pg_attribute", "attoptions", Retype(TextArray)),
    ("pg_attribute", "attfdwoptions", Retype(TextArray)),
    ("pg_class", "relacl", Added(TextArray)),
    ("pg_class", "reloptions", Added(TextArray)),
    ("pg_collation", "colliculocale", Added(Text)),
    ("pg_constraint", "conkey", Retype(Int2Array)),
    ("pg_constraint", "confkey", Retype(Int2Array)),
    ("pg_constraint", "conpfeqop", Retype(OidArray)),
    ("pg_constraint", "conppeqop", Retype(OidArray)),
    ("pg_constraint", "conffeqop", Retype(OidArray)),
    ("pg_constraint", "confdelsetcols", Retype(Int2Array)),
    ("pg_constraint", "conexclop", Retype(OidArray)),
    ("pg_conversion", "conproc", Retype(RegProc)),
    ("pg_database", "datcollversion", Added(Text)),
    ("pg_database", "datacl", Retype(TextArray)),
    ("pg_db_role_setting", "setconfig", Retype(TextArray)),
    ("pg_default_acl", "defaclacl", Retype(TextArray)),
    ("pg_event_trigger", "evttags", Retype(TextArray)),
    ("pg_extension", "extconfig", Retype(OidArray)),
    ("pg_extension", "extcondition", Retype(TextArray)),
    ("pg_foreign_data_wrapper", "fdwacl", Retype(TextArray)),
    ("pg_foreign_data_wrapper", "fdwoptions", Retype(TextArray)),
    ("pg_foreign_server", "srvacl", Retype(TextArray)),
    ("pg_foreign_server", "srvoptions", Retype(TextArray)),
    ("pg_foreign_table", "ftoptions", Retype(TextArray)),
    ("pg_index", "indkey", Retype(Int2Array)),
    ("pg_index", "indcollation", Retype(OidArray)),
    ("pg_index", "indclass", Retype(OidArray)),
    ("pg_index", "indoption", Retype(Int2Array)),
    ("pg_init_privs", "initprivs", Retype(TextArray)),
    ("pg_language", "lanacl", Retype(TextArray)),
    ("pg_largeobject_metadata", "lomacl", Retype(TextArray)),
    ("pg_namespace", "nspacl", Retype(TextArray)),
    ("pg_operator", "oprcode", Retype(RegProc)),
    ("pg_operator", "oprrest", Retype(RegProc)),
    ("pg_operator", "oprjoin", Retype(RegProc)),
    ("pg_partitioned_table", "partattrs", Retype(Int2Array)),
    ("pg_partitioned_table", "partclass", Retype(OidArray)),
    ("pg_partitioned_table", "partcollation", Retype(OidArray)),
    ("pg_policy", "polroles", Retype(OidArray)),
    ("pg_proc", "prosupport", Retype(RegProc)),
    ("pg_proc", "proargtypes", Retype(OidArray)),
    ("pg_proc", "proallargtypes", Retype(OidArray)),
    ("pg_proc", "proargmodes", Retype(TextArray)),
    ("pg_proc", "proargnames", Retype(TextArray)),
    ("pg_proc", "protrftypes", Retype(OidArray)),
    ("pg_proc", "proconfig", Retype(TextArray)),
    ("pg_proc", "proacl", Retype(TextArray)),
    ("pg_publication_rel", "prattrs", Retype(Int2Array)),
    ("pg_range", "rngcanonical", Retype(RegProc)),
    ("pg_range", "rngsubdiff", Retype(RegProc)),
    ("pg_roles", "rolconfig", Retype(TextArray)),
    ("pg_settings", "boot_val", Added(Text)),
    ("pg_settings", "enumvals", Retype(TextArray)),
    ("pg_statistic", "stanumbers1", Retype(Float4Array)),
    ("pg_statistic", "stanumbers2", Retype(Float4Array)),
    ("pg_statistic", "stanumbers3", Retype(Float4Array)),
    ("pg_statistic", "stanumbers4", Retype(Float4Array)),
    ("pg_statistic", "stanumbers5", Retype(Float4Array)),
    ("pg_statistic_ext", "stxkeys", Retype(Int2Array)),
    ("pg_statistic_ext", "stxkind", Retype(TextArray)),
    ("pg_subscription", "subpublications", Retype(TextArray)),
    ("pg_tablespace", "spcacl", Retype(TextArray)),
    ("pg_tablespace", "spcoptions", Retype(TextArray)),
    ("pg_trigger", "tgattr", Retype(Int2Array)),
    ("pg_ts_parser", "prsstart", Retype(RegProc)),
    ("pg_ts_parser", "prstoken", Retype(RegProc)),
    ("pg_ts_parser", "prsend", Retype(RegProc)),
    ("pg_ts_parser", "prsheadline", Retype(RegProc)),
    ("pg_ts_parser", "prslextype", Retype(RegProc)),
    ("pg_ts_template", "tmplinit", Retype(RegProc)),
    ("pg_ts_template", "tmpllexize", Retype(RegProc)),
    ("pg_type", "typsubscript", Retype(RegProc)),
    ("pg_type", "typinput", Retype(RegProc)),
    ("pg_type", "typoutput", Retype(RegProc)),
    ("pg_type", "typreceive", Retype(RegProc)),
    ("pg_type", "typsend", Retype(RegProc)),
    ("pg_type", "typmodin", Retype(RegProc)),
    ("pg_type", "typmodout", Retype(RegProc)),
    ("pg_type", "typanalyze", Retype(RegProc)),
    ("pg_type", "typacl", Retype(TextArray)),
    ("pg_user_mapping", "umoptions", Retype(TextArray)),
];
