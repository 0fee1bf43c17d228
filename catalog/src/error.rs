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

    /// The database driver reported an error.
    #[error("metadata store error: {0}")]
    Database(#[from] sqlx::Error),

    /// A stored value could not be decoded (for example malformed JSON).
    #[error("corrupt metadata for {kind} \"{name}\": {detail}")]
    Corrupt { kind: &'static str, name: String, detail: String },
}

impl StoreError {
    /// Whether the store could not be reached at all (as opposed to a statement failing).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Database(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed)
        )
    }
}

/// Result type of store operations.
pub type StoreResult<T> = Result<T, StoreError>;
