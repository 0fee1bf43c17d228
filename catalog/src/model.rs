//! The metadata model: what the store keeps, as plain Rust values.

/// A login or group role. Passwords are never kept: only a SCRAM-SHA-256 verifier in
/// PostgreSQL's text form (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub superuser: bool,
    pub can_login: bool,
    pub password_verifier: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A role to create.
#[derive(Debug, Clone, Default)]
pub struct NewRole {
    pub name: String,
    pub superuser: bool,
    pub can_login: bool,
    pub password_verifier: Option<String>,
}

/// Changes to an existing role; `None` leaves an attribute as it is.
#[derive(Debug, Clone, Default)]
pub struct RoleChanges {
    pub superuser: Option<bool>,
    pub can_login: Option<bool>,
    /// `Some(None)` removes the password (`PASSWORD NULL`).
    pub password_verifier: Option<Option<String>>,
}

impl RoleChanges {
    /// Whether applying these changes would change nothing.
    pub fn is_empty(&self) -> bool {
        self.superuser.is_none() && self.can_login.is_none() && self.password_verifier.is_none()
    }
}
