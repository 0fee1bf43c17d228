//! The one error type of the gateway, and its SQLSTATE.
//!
//! Every failure a statement can meet becomes a [`SluiceError`]; the wire layer turns it
//! into an ErrorResponse in one place (`server::errors`). Codes follow PostgreSQL's
//! Appendix A so that drivers, ORMs and BI tools react as they would to PostgreSQL.

mod classify;

use std::fmt;

use sluice_catalog::StoreError;

use self::classify::classify_datafusion;
pub use self::classify::strsim_distance;
use crate::sql::error::ParseError;
pub use crate::sql::error::{SourcePos, split_parser_position};

/// SQLSTATE codes Sluice reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlState {
    SyntaxError,
    SyntaxOrAccessRule,
    UndefinedTable,
    UndefinedColumn,
    UndefinedFunction,
    UndefinedObject,
    DuplicateObject,
    DuplicateColumn,
    AmbiguousColumn,
    GroupingError,
    DatatypeMismatch,
    InvalidParameterValue,
    InvalidTextRepresentation,
    NumericValueOutOfRange,
    DivisionByZero,
    InsufficientPrivilege,
    InvalidGrantOperation,
    ReservedName,
    InvalidPassword,
    InvalidAuthorization,
    InvalidCatalogName,
    FeatureNotSupported,
    DependentObjectsStillExist,
    ObjectInUse,
    ObjectNotInPrerequisiteState,
    IntegrityConstraintViolation,
    UniqueViolation,
    NotNullViolation,
    ForeignKeyViolation,
    CheckViolation,
    StringDataRightTruncation,
    InvalidDatetimeFormat,
    InvalidRegularExpression,
    CardinalityViolation,
    InFailedTransaction,
    NoActiveTransaction,
    ActiveTransaction,
    ProtocolViolation,
    ConnectionFailure,
    /// 08006: a connection in use was lost (the metadata store's).
    ConnectionLost,
    /// 57P01: the server (the metadata store's) is shutting down.
    AdminShutdown,
    /// 57P03: a server cannot accept connections now (the gateway without its store).
    CannotConnectNow,
    WrongObjectType,
    InvalidObjectDefinition,
    SerializationFailure,
    InvalidSqlStatementName,
    UndefinedParameter,
    DuplicatePreparedStatement,
    QueryCanceled,
    TooManyConnections,
    /// 54001: a statement nested too deeply to parse.
    StatementTooComplex,
    OutOfMemory,
    SystemError,
    InternalError,
}

impl SqlState {
    /// The state to report for an error a sink's database raised with SQLSTATE `code`:
    /// the same where Sluice knows it, else 58000 (an error outside the gateway).
    pub fn from_sink(code: &str) -> SqlState {
        match code {
            "23505" => SqlState::UniqueViolation,
            "23502" => SqlState::NotNullViolation,
            "23503" => SqlState::ForeignKeyViolation,
            "23514" => SqlState::CheckViolation,
            "22001" => SqlState::StringDataRightTruncation,
            "22003" => SqlState::NumericValueOutOfRange,
            "22007" | "22008" => SqlState::InvalidDatetimeFormat,
            "22P02" => SqlState::InvalidTextRepresentation,
            "42P01" => SqlState::UndefinedTable,
            "42703" => SqlState::UndefinedColumn,
            "42804" => SqlState::DatatypeMismatch,
            "42501" => SqlState::InsufficientPrivilege,
            c if c.starts_with("23") => SqlState::IntegrityConstraintViolation,
            c if c.starts_with("08") => SqlState::ConnectionFailure,
            _ => SqlState::SystemError,
        }
    }

    /// The five-character code.
    pub fn code(self) -> &'static str {
        match self {
            SqlState::SyntaxError => "42601",
            SqlState::SyntaxOrAccessRule => "42000",
            SqlState::UndefinedTable => "42P01",
            SqlState::UndefinedColumn => "42703",
            SqlState::UndefinedFunction => "42883",
            SqlState::UndefinedObject => "42704",
            SqlState::DuplicateObject => "42710",
            SqlState::DuplicateColumn => "42701",
            SqlState::AmbiguousColumn => "42702",
            SqlState::GroupingError => "42803",
            SqlState::DatatypeMismatch => "42804",
            SqlState::InvalidParameterValue => "22023",
            SqlState::InvalidTextRepresentation => "22P02",
            SqlState::NumericValueOutOfRange => "22003",
            SqlState::DivisionByZero => "22012",
            SqlState::InsufficientPrivilege => "42501",
            SqlState::InvalidGrantOperation => "0LP01",
            SqlState::ReservedName => "42939",
            SqlState::InvalidPassword => "28P01",
            SqlState::InvalidAuthorization => "28000",
            SqlState::InvalidCatalogName => "3D000",
            SqlState::FeatureNotSupported => "0A000",
            SqlState::DependentObjectsStillExist => "2BP01",
            SqlState::ObjectInUse => "55006",
            SqlState::ObjectNotInPrerequisiteState => "55000",
            SqlState::IntegrityConstraintViolation => "23000",
            SqlState::UniqueViolation => "23505",
            SqlState::NotNullViolation => "23502",
            SqlState::ForeignKeyViolation => "23503",
            SqlState::CheckViolation => "23514",
            SqlState::StringDataRightTruncation => "22001",
            SqlState::InvalidDatetimeFormat => "22007",
            SqlState::InvalidRegularExpression => "2201B",
            SqlState::CardinalityViolation => "21000",
            SqlState::InFailedTransaction => "25P02",
            SqlState::NoActiveTransaction => "25P01",
            SqlState::ActiveTransaction => "25001",
            SqlState::ProtocolViolation => "08P01",
            SqlState::ConnectionFailure => "08001",
            SqlState::ConnectionLost => "08006",
            SqlState::AdminShutdown => "57P01",
            SqlState::CannotConnectNow => "57P03",
            SqlState::WrongObjectType => "42809",
            SqlState::InvalidObjectDefinition => "42P17",
            SqlState::SerializationFailure => "40001",
            SqlState::InvalidSqlStatementName => "26000",
            SqlState::UndefinedParameter => "42P02",
            SqlState::DuplicatePreparedStatement => "42P05",
            SqlState::QueryCanceled => "57014",
            SqlState::TooManyConnections => "53300",
            SqlState::StatementTooComplex => "54001",
            SqlState::OutOfMemory => "53200",
            SqlState::SystemError => "58000",
            SqlState::InternalError => "XX000",
        }
    }
}

impl fmt::Display for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Everything that can go wrong with a statement.
#[derive(Debug, thiserror::Error)]
pub enum SluiceError {
    /// The statement could not be parsed.
    #[error("syntax error: {message}")]
    Syntax { message: String, pos: Option<SourcePos> },

    /// A relation named in the statement does not exist.
    #[error("relation \"{name}\" does not exist")]
    UndefinedTable { name: String, pos: Option<SourcePos> },

    /// A gateway object (role, parameter, prepared statement …) does not exist.
    #[error("{kind} \"{name}\" does not exist")]
    UndefinedObject { kind: &'static str, name: String },

    /// A gateway object of this kind and name exists already.
    #[error("{kind} \"{name}\" already exists")]
    DuplicateObject { kind: &'static str, name: String },

    /// The session parameter is not one Sluice knows.
    #[error("unrecognized configuration parameter \"{0}\"")]
    UnknownParameter(String),

    /// A value is not acceptable for the option or parameter it was given to.
    #[error("invalid value for {name}: {message}")]
    InvalidValue { name: String, message: String, hint: Option<String> },

    /// A `WITH (…)` option is unknown, of the wrong type, missing or misused.
    #[error("{message}")]
    InvalidOption { message: String, hint: Option<String> },

    /// A source's system could not be reached or refused the gateway.
    #[error("source \"{name}\": {message}")]
    SourceUnavailable { name: String, message: String },

    /// The current role may not do this; the message names the privilege and the object
    /// (`permission denied for source prod_db`, `must be owner of pipeline p`).
    #[error("{0}")]
    PermissionDenied(String),

    /// Sluice does not support this construct (yet); the hint says what to do instead.
    #[error("{message}")]
    NotSupported { message: String, hint: Option<String> },

    /// Objects still depend on the one being dropped or renamed; `what` says which and
    /// how (`drop source "s"`).
    #[error("cannot {what} because other objects depend on it")]
    DependentObjects { what: String, detail: String, hint: Option<&'static str> },

    /// The object is in use in a way that forbids the change (the last superuser, the
    /// connected role).
    #[error("{0}")]
    ObjectInUse(String),

    /// A statement that needs a transaction block outside of one.
    #[error("{0}")]
    NoActiveTransaction(String),

    /// A statement that cannot run inside a transaction block.
    #[error("{0}")]
    ActiveTransaction(String),

    /// A statement other than COMMIT/ROLLBACK in a failed transaction block.
    #[error("current transaction is aborted, commands ignored until end of transaction block")]
    InFailedTransaction,

    /// The client asked to cancel the running statement.
    #[error("canceling statement due to user request")]
    Canceled,

    /// The object is not in a state that allows the statement (STOP of a pipeline that
    /// does not run, RESUME without a savepoint).
    #[error("{0}")]
    ObjectNotInState(String),

    /// A target's engine refused or failed the job; `message` is the engine's own reason.
    #[error("target \"{target}\": {message}")]
    EngineRejected { target: String, message: String },

    /// An error from DataFusion while planning or running a query, classified.
    #[error("{message}")]
    Query { state: SqlState, message: String, hint: Option<String>, pos: Option<SourcePos> },

    /// The metadata store failed.
    #[error(transparent)]
    Store(StoreError),

    /// A bug or an unexpected condition inside Sluice.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result type of statement handling.
pub type Result<T, E = SluiceError> = std::result::Result<T, E>;

impl SluiceError {
    /// The SQLSTATE to report for this error.
    pub fn sqlstate(&self) -> SqlState {
        match self {
            SluiceError::Syntax { .. } => SqlState::SyntaxError,
            SluiceError::UndefinedTable { .. } => SqlState::UndefinedTable,
            SluiceError::UndefinedObject { kind, .. } if *kind == "prepared statement" => {
                SqlState::InvalidSqlStatementName
            }
            SluiceError::UndefinedObject { .. } | SluiceError::UnknownParameter(_) => {
                SqlState::UndefinedObject
            }
            SluiceError::DuplicateObject { kind, .. } if *kind == "prepared statement" => {
                SqlState::DuplicatePreparedStatement
            }
            SluiceError::DuplicateObject { .. } => SqlState::DuplicateObject,
            SluiceError::InvalidValue { .. } | SluiceError::InvalidOption { .. } => {
                SqlState::InvalidParameterValue
            }
            SluiceError::PermissionDenied(_) => SqlState::InsufficientPrivilege,
            SluiceError::SourceUnavailable { .. } => SqlState::ConnectionFailure,
            SluiceError::NotSupported { .. } => SqlState::FeatureNotSupported,
            SluiceError::DependentObjects { .. } => SqlState::DependentObjectsStillExist,
            SluiceError::ObjectInUse(_) => SqlState::ObjectInUse,
            SluiceError::InFailedTransaction => SqlState::InFailedTransaction,
            SluiceError::NoActiveTransaction(_) => SqlState::NoActiveTransaction,
            SluiceError::ActiveTransaction(_) => SqlState::ActiveTransaction,
            SluiceError::Canceled => SqlState::QueryCanceled,
            SluiceError::ObjectNotInState(_) => SqlState::ObjectNotInPrerequisiteState,
            SluiceError::EngineRejected { .. } => SqlState::SystemError,
            SluiceError::Query { state, .. } => *state,
            SluiceError::Store(StoreError::AlreadyExists { .. }) => SqlState::DuplicateObject,
            SluiceError::Store(StoreError::NotFound { .. }) => SqlState::UndefinedObject,
            SluiceError::Store(StoreError::Conflict { .. }) => SqlState::SerializationFailure,
            SluiceError::Store(StoreError::InUse { .. }) => SqlState::DependentObjectsStillExist,
            SluiceError::Store(StoreError::Concurrent { .. }) => SqlState::SerializationFailure,
            SluiceError::Store(e) => store_state(e),
            SluiceError::Internal(_) => SqlState::InternalError,
        }
    }

    /// Where in the statement text the error is, when known.
    pub fn pos(&self) -> Option<SourcePos> {
        match self {
            SluiceError::Syntax { pos, .. }
            | SluiceError::UndefinedTable { pos, .. }
            | SluiceError::Query { pos, .. } => *pos,
            _ => None,
        }
    }

    /// A hint for the user, when there is a useful one.
    pub fn hint(&self) -> Option<&str> {
        match self {
            SluiceError::InvalidValue { hint, .. }
            | SluiceError::InvalidOption { hint, .. }
            | SluiceError::NotSupported { hint, .. }
            | SluiceError::Query { hint, .. } => hint.as_deref(),
            SluiceError::DependentObjects { hint, .. } => *hint,
            _ => None,
        }
    }

    /// Extra detail, when there is some.
    pub fn detail(&self) -> Option<&str> {
        match self {
            SluiceError::DependentObjects { detail, .. } => Some(detail),
            _ => None,
        }
    }

    /// Decodes JSON the store keeps — `part` of the `kind` called `name` (its options, a
    /// table's definition, a sync's columns). JSON that does not read back is a corrupt
    /// catalog naming the object, never a default.
    pub fn stored_json<T: serde::de::DeserializeOwned>(
        json: &str,
        kind: &'static str,
        name: &str,
        part: &str,
    ) -> Result<T> {
        serde_json::from_str(json).map_err(|e| {
            SluiceError::Store(StoreError::Corrupt {
                kind,
                name: name.to_owned(),
                detail: format!("{part}: {e}"),
            })
        })
    }

    /// Shorthand for [`SluiceError::NotSupported`].
    pub fn not_supported(message: impl Into<String>, hint: Option<&str>) -> SluiceError {
        SluiceError::NotSupported { message: message.into(), hint: hint.map(str::to_owned) }
    }

    /// The error as the message text a client shows (without SQLSTATE).
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The same error (variant, SQLSTATE, position, hint) with `f` applied to the text
    /// an engine or a source may have written into it: for masking secret values before it
    /// is shown. Object names, which the user wrote, are kept.
    pub fn map_text(self, f: impl Fn(&str) -> String) -> SluiceError {
        use SluiceError as E;
        match self {
            E::Syntax { message, pos } => E::Syntax { message: f(&message), pos },
            E::InvalidValue { name, message, hint } => E::InvalidValue { name, message: f(&message), hint },
            E::InvalidOption { message, hint } => E::InvalidOption { message: f(&message), hint },
            E::SourceUnavailable { name, message } => E::SourceUnavailable { name, message: f(&message) },
            E::PermissionDenied(m) => E::PermissionDenied(f(&m)),
            E::NotSupported { message, hint } => E::NotSupported { message: f(&message), hint },
            E::DependentObjects { what, detail, hint } => {
                E::DependentObjects { what, detail: f(&detail), hint }
            }
            E::ObjectInUse(m) => E::ObjectInUse(f(&m)),
            E::ObjectNotInState(m) => E::ObjectNotInState(f(&m)),
            E::EngineRejected { target, message } => E::EngineRejected { target, message: f(&message) },
            E::Query { state, message, hint, pos } => E::Query { state, message: f(&message), hint, pos },
            E::Internal(m) => E::Internal(f(&m)),
            other => other,
        }
    }
}

impl From<StoreError> for SluiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::LastSuperuser(role) => {
                SluiceError::ObjectInUse(format!("role \"{role}\" is the last superuser that can log in"))
            }
            e => SluiceError::Store(e),
        }
    }
}

impl From<ParseError> for SluiceError {
    fn from(e: ParseError) -> Self {
        match e {
            ParseError::Syntax { message, pos } => SluiceError::Syntax { message, pos },
            ParseError::DataFusion(e) => classify_datafusion(e),
            ParseError::UndefinedParameter { number, pos } => SluiceError::Query {
                state: SqlState::UndefinedParameter,
                message: format!("there is no parameter ${number}"),
                hint: None,
                pos,
            },
            ParseError::UndefinedVariable(name) => {
                SluiceError::UndefinedObject { kind: "pipeline variable", name: format!("${{{name}}}") }
            }
            ParseError::TooComplex => SluiceError::Query {
                state: SqlState::StatementTooComplex,
                message: ParseError::TooComplex.message(),
                hint: Some("Nest fewer parentheses, CASTs or ARRAY constructors.".into()),
                pos: None,
            },
        }
    }
}

/// The SQLSTATE of a failure of the metadata store itself: a lost or refused connection
/// is 08006 and a server shutting down 57P01 (as PostgreSQL reports them to its own
/// clients, so a client retries), anything else 58000.
fn store_state(e: &StoreError) -> SqlState {
    match e.server_code().as_deref() {
        Some("57P01" | "57P02") => SqlState::AdminShutdown,
        Some("57P03") => SqlState::CannotConnectNow,
        _ if e.is_unavailable() => SqlState::ConnectionLost,
        _ => SqlState::SystemError,
    }
}

fn clone_store_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Concurrent { detail } => StoreError::Concurrent { detail: detail.clone() },
        e if e.is_unavailable() => StoreError::Unavailable(e.to_string()),
        StoreError::AlreadyExists { kind, name } => StoreError::AlreadyExists { kind, name: name.clone() },
        StoreError::NotFound { kind, name } => StoreError::NotFound { kind, name: name.clone() },
        StoreError::Corrupt { kind, name, detail } => {
            StoreError::Corrupt { kind, name: name.clone(), detail: detail.clone() }
        }
        other => StoreError::Corrupt { kind: "store", name: String::new(), detail: other.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_character_offsets_from_one() {
        let text = "SELECT 1;\nSELECT é, x FROM t";
        assert_eq!(SourcePos { line: 1, column: 1 }.char_offset(text), Some(1));
        assert_eq!(SourcePos { line: 2, column: 11 }.char_offset(text), Some(21));
        assert_eq!(SourcePos { line: 3, column: 1 }.char_offset(text), None);
    }

    #[test]
    fn parser_positions_are_split_off() {
        let (m, p) = split_parser_position(
            "sql parser error: Expected: an expression, found: EOF at Line: 1, Column: 8",
        );
        assert_eq!(m, "Expected: an expression, found: EOF");
        assert_eq!(p, Some(SourcePos { line: 1, column: 8 }));
    }

    #[test]
    fn a_statement_nested_past_the_parsers_bound_is_54001() {
        let text = format!("SELECT {}", "CAST(".repeat(40));
        let e: SluiceError = crate::sql::parse(&text).expect_err("too complex").into();
        assert_eq!(e.sqlstate().code(), "54001");
        assert!(e.message().contains("too complex"), "{}", e.message());
    }
}
