//! Role statements.

use std::fmt;

use super::{Ident, write_literal};

/// A password given in a role statement. The plaintext is only ever turned into a
/// SCRAM verifier; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub enum Password {
    /// `PASSWORD 'text'`
    Text(String),
    /// `PASSWORD NULL`: the role has no password and cannot log in with one.
    Null,
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Password::Text(_) => f.write_str("Password(***)"),
            Password::Null => f.write_str("Password(NULL)"),
        }
    }
}

/// An attribute in `CREATE ROLE … WITH` / `ALTER ROLE … WITH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleOption {
    /// `SUPERUSER` / `NOSUPERUSER`
    Superuser(bool),
    /// `LOGIN` / `NOLOGIN`
    Login(bool),
    /// `INHERIT` / `NOINHERIT`: whether memberships pass privileges on by default
    Inherit(bool),
    /// `PASSWORD 'text'` / `PASSWORD NULL`
    Password(Password),
}

impl RoleOption {
    fn write(&self, f: &mut fmt::Formatter<'_>, redact: bool) -> fmt::Result {
        match self {
            RoleOption::Superuser(true) => f.write_str("SUPERUSER"),
            RoleOption::Superuser(false) => f.write_str("NOSUPERUSER"),
            RoleOption::Login(true) => f.write_str("LOGIN"),
            RoleOption::Login(false) => f.write_str("NOLOGIN"),
            RoleOption::Inherit(true) => f.write_str("INHERIT"),
            RoleOption::Inherit(false) => f.write_str("NOINHERIT"),
            RoleOption::Password(Password::Null) => f.write_str("PASSWORD NULL"),
            RoleOption::Password(Password::Text(_)) if redact => f.write_str("PASSWORD '***'"),
            RoleOption::Password(Password::Text(p)) => {
                f.write_str("PASSWORD ")?;
                write_literal(f, p)
            }
        }
    }
}

fn write_options(f: &mut fmt::Formatter<'_>, options: &[RoleOption], redact: bool) -> fmt::Result {
    if options.is_empty() {
        return Ok(());
    }
    f.write_str(" WITH")?;
    for option in options {
        f.write_str(" ")?;
        option.write(f, redact)?;
    }
    Ok(())
}

/// `CREATE { ROLE | USER } [ IF NOT EXISTS ] name [ [ WITH ] option [ … ] ]`
///
/// where `option` is `SUPERUSER | NOSUPERUSER | LOGIN | NOLOGIN | [ ENCRYPTED ] PASSWORD
/// 'password' | PASSWORD NULL`. `CREATE USER` is `CREATE ROLE` with `LOGIN` by default.
/// Superusers only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRole {
    pub name: Ident,
    pub if_not_exists: bool,
    /// Written as `CREATE USER` (LOGIN unless NOLOGIN is given).
    pub user: bool,
    pub options: Vec<RoleOption>,
}

impl CreateRole {
    /// A `Display`able form with the password replaced by `'***'`.
    pub fn redacted(&self) -> impl fmt::Display + '_ {
        Redacted(self)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, redact: bool) -> fmt::Result {
        write!(f, "CREATE {}", if self.user { "USER" } else { "ROLE" })?;
        if self.if_not_exists {
            f.write_str(" IF NOT EXISTS")?;
        }
        write!(f, " {}", self.name)?;
        write_options(f, &self.options, redact)
    }
}

impl fmt::Display for CreateRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, false)
    }
}

/// `ALTER { ROLE | USER } name [ WITH ] option [ … ]` or
/// `ALTER { ROLE | USER } name RENAME TO new_name`
///
/// Options as for [`CreateRole`]. Superusers only, except that any role may change its
/// own password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterRole {
    pub name: Ident,
    pub operation: AlterRoleOperation,
}

/// What `ALTER ROLE` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterRoleOperation {
    With(Vec<RoleOption>),
    RenameTo(Ident),
}

impl AlterRole {
    /// A `Display`able form with the password replaced by `'***'`.
    pub fn redacted(&self) -> impl fmt::Display + '_ {
        RedactedAlter(self)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, redact: bool) -> fmt::Result {
        write!(f, "ALTER ROLE {}", self.name)?;
        match &self.operation {
            AlterRoleOperation::With(options) => write_options(f, options, redact),
            AlterRoleOperation::RenameTo(new_name) => write!(f, " RENAME TO {new_name}"),
        }
    }
}

impl fmt::Display for AlterRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, false)
    }
}

/// `DROP { ROLE | USER } [ IF EXISTS ] name [, …]`
///
/// Superusers only; a role cannot drop itself, and the last superuser cannot be dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropRole {
    pub if_exists: bool,
    pub names: Vec<Ident>,
}

impl fmt::Display for DropRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DROP ROLE ")?;
        if self.if_exists {
            f.write_str("IF EXISTS ")?;
        }
        for (i, name) in self.names.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name}")?;
        }
        Ok(())
    }
}

struct Redacted<'a>(&'a CreateRole);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, true)
    }
}

struct RedactedAlter<'a>(&'a AlterRole);

impl fmt::Display for RedactedAlter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, true)
    }
}
