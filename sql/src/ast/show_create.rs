//! `SHOW CREATE`: the statements that re-create an object of any kind.

use std::fmt;

use super::source::ObjectPath;

/// The kinds of objects `SHOW CREATE` shows, in the order a script re-creating all of
/// them runs: each kind only refers to kinds before it (a pipeline to sources, tables
/// and targets; a schedule to pipelines; a grant to roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DefinitionKind {
    Role,
    Secret,
    Source,
    Table,
    Target,
    Pipeline,
    Sync,
    Schedule,
}

impl DefinitionKind {
    /// Every kind, in dependency order.
    pub const ALL: [DefinitionKind; 8] = [
        DefinitionKind::Role,
        DefinitionKind::Secret,
        DefinitionKind::Source,
        DefinitionKind::Table,
        DefinitionKind::Target,
        DefinitionKind::Pipeline,
        DefinitionKind::Sync,
        DefinitionKind::Schedule,
    ];

    /// The kind's keyword (`SOURCE`).
    pub fn keyword(self) -> &'static str {
        match self {
            DefinitionKind::Role => "ROLE",
            DefinitionKind::Secret => "SECRET",
            DefinitionKind::Source => "SOURCE",
            DefinitionKind::Table => "TABLE",
            DefinitionKind::Target => "TARGET",
            DefinitionKind::Pipeline => "PIPELINE",
            DefinitionKind::Sync => "SYNC",
            DefinitionKind::Schedule => "SCHEDULE",
        }
    }

    /// The kind's name in results and messages (`source`).
    pub fn name(self) -> &'static str {
        match self {
            DefinitionKind::Role => "role",
            DefinitionKind::Secret => "secret",
            DefinitionKind::Source => "source",
            DefinitionKind::Table => "table",
            DefinitionKind::Target => "target",
            DefinitionKind::Pipeline => "pipeline",
            DefinitionKind::Sync => "sync",
            DefinitionKind::Schedule => "schedule",
        }
    }

    /// The kind a keyword names (any case; `USER` is `ROLE`).
    pub fn from_keyword(word: &str) -> Option<DefinitionKind> {
        if word.eq_ignore_ascii_case("USER") {
            return Some(DefinitionKind::Role);
        }
        DefinitionKind::ALL.into_iter().find(|k| k.keyword().eq_ignore_ascii_case(word))
    }
}

impl fmt::Display for DefinitionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// ```text
/// SHOW CREATE { ROLE | USER | SECRET | SOURCE | TARGET | PIPELINE | SYNC | SCHEDULE } name
/// SHOW CREATE TABLE source.[ database. ]table
/// SHOW CREATE ALL
/// ```
///
/// One row: the object's name and a script that re-creates it as it is — the CREATE
/// statement, then `ALTER … OWNER TO` when someone else than the caller owns it, and the
/// GRANTs on it (for a role: the roles it is a member of and its grants on the database;
/// for a paused schedule: PAUSE SCHEDULE). A secret's value and a role's password are
/// never shown: a secret's statement holds a placeholder, and a comment says so. A table
/// is one declared with CREATE TABLE. `ALL`: one row per object (kind, name, script) in
/// an order that replays — every object the catalog holds except the built-in ones (the
/// predefined roles, the `local` target as the gateway made it) and the pipelines syncs
/// made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShowCreate {
    Object {
        kind: DefinitionKind,
        /// One part, except for a table (two or three).
        name: ObjectPath,
    },
    All,
}

impl fmt::Display for ShowCreate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShowCreate::Object { kind, name } => write!(f, "SHOW CREATE {kind} {name}"),
            ShowCreate::All => f.write_str("SHOW CREATE ALL"),
        }
    }
}
