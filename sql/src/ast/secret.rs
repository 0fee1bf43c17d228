//! Secret statements.

use std::fmt;

use base64::Engine;

use super::{Ident, write_literal};

/// A secret's value as written. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretValue {
    /// `'text'`
    Text(String),
    /// `decode('…', 'base64' | 'hex')`: bytes such as a Kerberos keytab.
    Binary(Vec<u8>),
}

impl SecretValue {
    /// The bytes to store.
    pub fn bytes(&self) -> &[u8] {
        match self {
            SecretValue::Text(s) => s.as_bytes(),
            SecretValue::Binary(b) => b,
        }
    }

    /// `text` or `binary`.
    pub fn kind(&self) -> &'static str {
        match self {
            SecretValue::Text(_) => "text",
            SecretValue::Binary(_) => "binary",
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, redact: bool) -> fmt::Result {
        match (self, redact) {
            (SecretValue::Text(_), true) => f.write_str("'***'"),
            (SecretValue::Binary(_), true) => f.write_str("decode('***', 'base64')"),
            (SecretValue::Text(s), false) => write_literal(f, s),
            (SecretValue::Binary(b), false) => {
                f.write_str("decode(")?;
                write_literal(f, &base64::engine::general_purpose::STANDARD.encode(b))?;
                f.write_str(", 'base64')")
            }
        }
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretValue({}, ***)", self.kind())
    }
}

/// `CREATE [ OR REPLACE ] SECRET [ IF NOT EXISTS ] name AS { 'value' | decode('…', 'base64' | 'hex') }`
///
/// The value is encrypted at rest and never shown again; sources refer to it as
/// `SECRET name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSecret {
    pub name: Ident,
    pub or_replace: bool,
    pub if_not_exists: bool,
    pub value: SecretValue,
}

impl CreateSecret {
    fn write(&self, f: &mut fmt::Formatter<'_>, redact: bool) -> fmt::Result {
        f.write_str("CREATE ")?;
        if self.or_replace {
            f.write_str("OR REPLACE ")?;
        }
        f.write_str("SECRET ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write!(f, "{} AS ", self.name)?;
        self.value.write(f, redact)
    }

    /// The statement with its value replaced by `'***'` (for logs).
    pub fn redacted(&self) -> String {
        Redacted(|f: &mut fmt::Formatter<'_>| self.write(f, true)).to_string()
    }
}

impl fmt::Display for CreateSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, false)
    }
}

/// `ALTER SECRET name AS { 'value' | decode('…', 'base64' | 'hex') }`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterSecret {
    pub name: Ident,
    pub value: SecretValue,
}

impl AlterSecret {
    fn write(&self, f: &mut fmt::Formatter<'_>, redact: bool) -> fmt::Result {
        write!(f, "ALTER SECRET {} AS ", self.name)?;
        self.value.write(f, redact)
    }

    /// The statement with its value replaced by `'***'` (for logs).
    pub fn redacted(&self) -> String {
        Redacted(|f: &mut fmt::Formatter<'_>| self.write(f, true)).to_string()
    }
}

impl fmt::Display for AlterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, false)
    }
}

/// `DROP SECRET [ IF EXISTS ] name` — refused (2BP01) while a source uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropSecret {
    pub if_exists: bool,
    pub name: Ident,
}

impl fmt::Display for DropSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DROP SECRET ")?;
        if self.if_exists {
            f.write_str("IF EXISTS ")?;
        }
        write!(f, "{}", self.name)
    }
}

/// Renders through a closure (for the redacted forms).
struct Redacted<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result>(F);

impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Display for Redacted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}
