//! The versions Sluice reports: the PostgreSQL version it speaks as, and its own.

/// The PostgreSQL version Sluice speaks as. psql and drivers choose their catalog
/// queries and protocol features by it.
pub const PG_VERSION: &str = "16.6";
/// `server_version_num` matching [`PG_VERSION`].
pub const PG_VERSION_NUM: &str = "160006";

/// The `server_version` reported to clients: PostgreSQL's version, then Sluice's own.
pub fn server_version() -> String {
    format!("{PG_VERSION} (Sluice {})", env!("CARGO_PKG_VERSION"))
}
