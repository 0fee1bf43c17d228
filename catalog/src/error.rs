//! Errors of the metadata store. The gateway maps them to SQLSTATEs at its one boundary.

/// What can go wrong when reading or changing the metadata store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An object of this kind and name exists already (a unique key was violated).
    #[error("{kind} \"{name}\" already exists")]
    AlreadyExists { kind: &'static str, name: String },

    /// No object of this kind and name exists.
    #[error("{kind} \"{name}\" does not exist")]
    NotFound { kind: &'static str, name: String },

    /// Other objects depend on this one (a source uses the secret, a pipeline the source).
    #[error("{kind} \"{name}\" is used by {}", users.join(", "))]
    InUse { kind: &'static str, name: String, users: Vec<String> },
    /// The change would leave no superuser that can log in.
    #[error("role \"{0}\" is the last superuser that can log in")]
    LastSuperuser(String),

    /// The object changed between reading and writing it (another session won).
    #[error("{kind} \"{name}\" was changed concurrently; try again")]
    Conflict { kind: &'static str, name: String },

    /// The metadata URL is not one Sluice can use.
    #[error("unsupported metadata URL \"{0}\": use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),

    /// Applying the schema migrations failed.
    #[error("metadata store migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    /// A row this change refers to was removed (a foreign key of the store refused it):
    /// a concurrent statement dropped or renamed an object this one uses.
    #[error("an object this statement uses was dropped or changed by a concurrent statement; try again")]
    Concurrent { detail: String },

    /// The store could not be reached (a copy of such an error, for a cached result).
    #[error("the metadata store is unreachable: {0}")]
    Unavailable(String),

    /// The database driver reported an error.
    #[error("metadata store error: {0}")]
    Database(sqlx::Error),

    /// A stored value could not be decoded (for example malformed JSON).
    #[error("corrupt metadata for {kind} \"{name}\": {detail}")]
    Corrupt { kind: &'static str, name: String, detail: String },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::Concurrent { detail: db.message().to_owned() }
            }
            _ => StoreError::Database(e),
        }
    }
}

impl StoreError {
    /// Whether the store could not be reached at all (as opposed to a statement failing):
    /// no connection, a connection lost, or the server shutting down.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::Database(
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed,
            ) => true,
            StoreError::Database(sqlx::Error::Database(db)) => {
                db.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P"))
            }
            _ => false,
        }
    }

    /// The SQLSTATE of a PostgreSQL metadata server's own error, when it sent one.
    pub fn server_code(&self) -> Option<String> {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => db.code().map(|c| c.into_owned()),
            _ => None,
        }
    }
}

/// Result type of store operations.
pub type StoreResult<T> = Result<T, StoreError>;
