//! The metadata model: what the store keeps, as plain Rust values.

/// A login or group role. Passwords are never kept: only a SCRAM-SHA-256 verifier in
/// PostgreSQL's text form (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`).
#[derive(Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub superuser: bool,
    pub can_login: bool,
    pub password_verifier: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Role")
            .field("name", &self.name)
            .field("superuser", &self.superuser)
            .field("can_login", &self.can_login)
            .field("has_password", &self.password_verifier.is_some())
            .finish()
    }
}

/// A role to create.
#[derive(Clone, Default)]
pub struct NewRole {
    pub name: String,
    pub superuser: bool,
    pub can_login: bool,
    pub password_verifier: Option<String>,
}

impl std::fmt::Debug for NewRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRole")
            .field("name", &self.name)
            .field("superuser", &self.superuser)
            .field("can_login", &self.can_login)
            .field("has_password", &self.password_verifier.is_some())
            .finish()
    }
}

/// Changes to an existing role; `None` leaves an attribute as it is.
#[derive(Clone, Default)]
pub struct RoleChanges {
    pub superuser: Option<bool>,
    pub can_login: Option<bool>,
    /// `Some(None)` removes the password (`PASSWORD NULL`).
    pub password_verifier: Option<Option<String>>,
}

impl std::fmt::Debug for RoleChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoleChanges")
            .field("superuser", &self.superuser)
            .field("can_login", &self.can_login)
            .field("password", &self.password_verifier.as_ref().map(|p| p.is_some()))
            .finish()
    }
}

impl RoleChanges {
    /// Whether applying these changes would change nothing.
    pub fn is_empty(&self) -> bool {
        self.superuser.is_none() && self.can_login.is_none() && self.password_verifier.is_none()
    }
}
