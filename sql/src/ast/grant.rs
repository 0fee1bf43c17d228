//! Privilege statements, with PostgreSQL's grammar over Sluice's objects: GRANT and
//! REVOKE of privileges and of role membership, `ALTER … OWNER TO`, `SHOW GRANTS`.

use std::fmt;

use super::Ident;

/// The kinds of objects privileges are granted on, as their keywords.
pub const OBJECT_KINDS: [&str; 7] =
    ["DATABASE", "SOURCE", "SECRET", "TARGET", "PIPELINE", "SCHEDULE", "SYNC"];

/// Which privileges a GRANT or REVOKE names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Privileges {
    /// `ALL [ PRIVILEGES ]`: every privilege of the object's kind.
    All,
    /// The privilege keywords, upper-cased (`SELECT`, `USAGE`, `CREATE`, `OPERATE`).
    Named(Vec<String>),
}

impl fmt::Display for Privileges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Privileges::All => f.write_str("ALL PRIVILEGES"),
            Privileges::Named(names) => f.write_str(&names.join(", ")),
        }
    }
}

/// `kind name [, …]`: the objects a GRANT or REVOKE is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Objects {
    /// One of [`OBJECT_KINDS`].
    pub kind: String,
    pub names: Vec<Ident>,
}

impl fmt::Display for Objects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, names(&self.names))
    }
}

/// A grantee: a role, or `PUBLIC` (every role), kept as the name `public`.
fn names(list: &[Ident]) -> String {
    list.iter()
        .map(|n| if n.as_str() == "public" { "PUBLIC".to_owned() } else { n.to_string() })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `GRANT { privilege [, …] | ALL [ PRIVILEGES ] } ON kind name [, …]
///  TO { role | PUBLIC } [, …] [ WITH GRANT OPTION ]`
///
/// `kind` is DATABASE (`sluice`), SOURCE, SECRET, TARGET, PIPELINE, SCHEDULE or SYNC;
/// privileges are CREATE (database), SELECT and USAGE (source), USAGE (secret, target),
/// OPERATE (pipeline, schedule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantPrivileges {
    pub privileges: Privileges,
    pub objects: Objects,
    pub grantees: Vec<Ident>,
    pub with_grant_option: bool,
}

impl fmt::Display for GrantPrivileges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GRANT {} ON {} TO {}", self.privileges, self.objects, names(&self.grantees))?;
        if self.with_grant_option {
            f.write_str(" WITH GRANT OPTION")?;
        }
        Ok(())
    }
}

/// `REVOKE [ GRANT OPTION FOR ] { privilege [, …] | ALL [ PRIVILEGES ] } ON kind name [, …]
///  FROM { role | PUBLIC } [, …] [ CASCADE | RESTRICT ]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokePrivileges {
    pub grant_option_for: bool,
    pub privileges: Privileges,
    pub objects: Objects,
    pub grantees: Vec<Ident>,
    /// `CASCADE` (`RESTRICT` is the default and not kept).
    pub cascade: bool,
}

impl fmt::Display for RevokePrivileges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("REVOKE ")?;
        if self.grant_option_for {
            f.write_str("GRANT OPTION FOR ")?;
        }
        write!(f, "{} ON {} FROM {}", self.privileges, self.objects, names(&self.grantees))?;
        if self.cascade {
            f.write_str(" CASCADE")?;
        }
        Ok(())
    }
}

/// `GRANT role [, …] TO role [, …] [ WITH { ADMIN | INHERIT } { OPTION | TRUE | FALSE } [, …] ]`
///
/// Members have the granted roles' privileges (unless `INHERIT FALSE`, or the member is
/// `NOINHERIT`); `ADMIN` lets them grant the role on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRole {
    pub roles: Vec<Ident>,
    pub members: Vec<Ident>,
    pub admin: Option<bool>,
    pub inherit: Option<bool>,
}

impl fmt::Display for GrantRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GRANT {} TO {}", names(&self.roles), names(&self.members))?;
        let mut with = Vec::new();
        if let Some(admin) = self.admin {
            with.push(format!("ADMIN {}", if admin { "TRUE" } else { "FALSE" }));
        }
        if let Some(inherit) = self.inherit {
            with.push(format!("INHERIT {}", if inherit { "TRUE" } else { "FALSE" }));
        }
        if !with.is_empty() {
            write!(f, " WITH {}", with.join(", "))?;
        }
        Ok(())
    }
}

/// `REVOKE [ ADMIN OPTION FOR ] role [, …] FROM role [, …] [ CASCADE | RESTRICT ]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeRole {
    pub admin_option_for: bool,
    pub roles: Vec<Ident>,
    pub members: Vec<Ident>,
}

impl fmt::Display for RevokeRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("REVOKE ")?;
        if self.admin_option_for {
            f.write_str("ADMIN OPTION FOR ")?;
        }
        write!(f, "{} FROM {}", names(&self.roles), names(&self.members))
    }
}

/// `ALTER { SOURCE | SECRET | TARGET | PIPELINE | SCHEDULE | SYNC } name OWNER TO role`
///
/// The owner (a member of the new owning role) or a superuser may give an object away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterOwner {
    pub kind: String,
    pub name: Ident,
    pub owner: Ident,
}

impl fmt::Display for AlterOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ALTER {} {} OWNER TO {}", self.kind, self.name, self.owner)
    }
}

/// `SHOW GRANTS [ FOR role | ON kind name ]`
///
/// Rows: `object_kind, object_name, grantee, privilege, grantable, grantor` — each
/// privilege a role holds directly (owners hold every privilege without a row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShowGrants {
    All,
    For(Ident),
    On { kind: String, name: Ident },
}

impl fmt::Display for ShowGrants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShowGrants::All => f.write_str("SHOW GRANTS"),
            ShowGrants::For(role) => write!(f, "SHOW GRANTS FOR {}", names(std::slice::from_ref(role))),
            ShowGrants::On { kind, name } => write!(f, "SHOW GRANTS ON {kind} {name}"),
        }
    }
}
