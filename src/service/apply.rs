//! EXPLAIN APPLY and APPLY: what a declarative script changes in the catalog. Each object
//! it declares is normalised ([`super::declared`]) and compared with its SHOW CREATE
//! script ([`super::definitions`]); the comparison decides the action and the statements
//! that make it, which APPLY runs (the handler dispatches them as if a client had sent
//! them, so every check and privilege of each statement applies).

use super::declared::{Declared, desired, read};
use super::definitions::{Definition, definition};
use crate::error::{Result, SluiceError, SqlState};
use crate::plan::{Tables, bind};
use crate::runtime::Runtime;
use crate::sql::ast::grant::{GrantPrivileges, GrantRole, RevokePrivileges, RevokeRole};
use crate::sql::ast::show_create::DefinitionKind;
use crate::sql::ast::{GatewayStatement, Ident};
use crate::sql::error::SourcePos;
use crate::sql::{Statement, parse};

/// What applying does to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    /// Changed in place (ALTER, GRANT/REVOKE, OWNER).
    Alter,
    /// Made again with CREATE OR REPLACE.
    Replace,
    Unchanged,
    /// Not declared, with PRUNE: dropped.
    Drop,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Alter => "alter",
            Action::Replace => "replace",
            Action::Unchanged => "unchanged",
            Action::Drop => "drop",
        }
    }
}

/// One declared object's change.
#[derive(Debug, Clone)]
pub struct Change {
    pub kind: DefinitionKind,
    pub name: String,
    pub action: Action,
    /// A running deployment of the pipeline (or the sync's) would have to restart.
    pub restart: bool,
    /// Unified diff of the SHOW CREATE script, `-` now and `+` after (empty: unchanged).
    pub diff: String,
    /// The statements that make the object (run first, in kind order).
    pub main: Vec<String>,
    /// Its owner, grants and state (run after every object's `main`).
    pub extras: Vec<String>,
    /// Where the object's CREATE is in the script.
    pub at: SourcePos,
}

/// The changes `script` makes, by kind in dependency order, then in script order; with
/// `prune`, then the drops of the objects of the declared kinds that it does not declare
/// (in reverse dependency order).
pub async fn plan(rt: &Runtime, viewer: &str, script: &str, prune: bool) -> Result<Vec<Change>> {
    let mut declared = read(script)?;
    declared.sort_by_key(|d| d.kind);
    let mut changes = Vec::with_capacity(declared.len());
    for d in &declared {
        changes.push(change(rt, viewer, d, &declared).await?);
    }
    check_pipelines(rt, &declared, &changes).await?;
    if prune {
        changes.extend(drops(rt, viewer, &declared).await?);
    }
    Ok(changes)
}

/// The objects of the kinds `declared` has that it does not declare, to drop — never a
/// role, nor the built-in objects (SHOW CREATE ALL leaves those out).
async fn drops(rt: &Runtime, viewer: &str, declared: &[Declared]) -> Result<Vec<Change>> {
    let at = declared.first().map_or(SourcePos { line: 1, column: 1 }, |d| d.at);
    let mut out = Vec::new();
    for live in super::definitions::all(rt, viewer).await?.into_iter().rev() {
        let kept = declared.iter().any(|d| d.kind == live.kind && d.label() == live.name);
        let kind_declared = declared.iter().any(|d| d.kind == live.kind);
        // roles are people and teams: a file that is missing never drops one
        if kept || !kind_declared || live.kind == DefinitionKind::Role {
            continue;
        }
        let sql_name = match live.kind {
            DefinitionKind::Table => live.name.clone(),
            _ => Ident::new(live.name.clone()).to_string(),
        };
        let restart = matches!(live.kind, DefinitionKind::Pipeline | DefinitionKind::Sync)
            && running(rt, &live.name).await?;
        out.push(Change {
            kind: live.kind,
            name: live.name.clone(),
            action: Action::Drop,
            restart,
            diff: diff(&live.statements, &[]),
            main: vec![format!("DROP {} {sql_name}", live.kind.keyword())],
            extras: Vec::new(),
            at,
        });
    }
    Ok(out)
}

async fn change(rt: &Runtime, viewer: &str, d: &Declared, all: &[Declared]) -> Result<Change> {
    let (wanted, value) = desired(rt, viewer, d, all).await?;
    let live = live(rt, viewer, d).await?;
    let mut change = Change {
        kind: d.kind,
        name: d.label(),
        action: Action::Unchanged,
        restart: false,
        diff: String::new(),
        main: Vec::new(),
        extras: Vec::new(),
        at: d.at,
    };
    let Some(live) = live else {
        if let (GatewayStatement::CreateSecret(s), None) = (&d.create, &value) {
            return Err(SluiceError::Query {
                state: SqlState::InvalidParameterValue,
                message: format!("secret {} does not exist, and its statement holds the placeholder '***'", s.name),
                hint: Some("Put the secret's value in place of '***' (only for this run: keep it out of version control).".into()),
                pos: Some(d.at),
            });
        }
        change.action = Action::Create;
        change.diff = diff(&[], &wanted.statements);
        change.main.push(d.create.to_string());
        change.extras = d.extras.iter().map(ToString::to_string).collect();
        return Ok(change);
    };
    let secret_changed = match (&d.create, value) {
        // only its owner (or a superuser) learns whether a value matches the stored one;
        // for anyone else a value given is a change
        (GatewayStatement::CreateSecret(s), Some(value)) => {
            match may_read(rt, viewer, s.name.as_str()).await? {
                true => secret_value(rt, s.name.as_str()).await? != value,
                false => true,
            }
        }
        _ => false,
    };
    // an owner no file states stays as it is (whoever applies)
    let mut wanted = wanted;
    if !wanted.statements.iter().any(|s| is_owner(s))
        && let Some(owner) = live.statements.iter().find(|s| is_owner(s))
    {
        // where SHOW CREATE puts it: before the grants
        let grants =
            wanted.statements.iter().skip(1).position(|s| s.starts_with("GRANT ") && s.contains(" ON "));
        wanted.statements.insert(grants.map_or(wanted.statements.len(), |g| g + 1), owner.clone());
    }
    let (old_create, new_create) = (&live.statements[0], &wanted.statements[0]);
    if old_create != new_create || secret_changed {
        (change.action, change.main) = remake(d, secret_changed)?;
        if same_source_type(&d.create, old_create) {
            // options of a source change in place: its tables and pipelines stay
            change.action = Action::Alter;
        }
    }
    let replaced = change.main.iter().any(|s| s.starts_with("CREATE OR REPLACE "));
    change.extras = extras(&live, &wanted, replaced)?;
    if change.action == Action::Unchanged && !change.extras.is_empty() {
        change.action = Action::Alter;
    }
    if change.action != Action::Unchanged {
        let mut old = live.statements.clone();
        let mut new = wanted.statements.clone();
        if secret_changed {
            old.push("-- the value as stored".into());
            new.push("-- the value as declared (neither shown)".into());
        }
        if matches!(d.kind, DefinitionKind::Pipeline | DefinitionKind::Sync)
            && change.action == Action::Replace
        {
            change.restart = running(rt, &change.name).await?;
        }
        change.diff = diff(&old, &new);
    }
    Ok(change)
}

/// The object's SHOW CREATE script now, or `None` when there is no such object (a table
/// read from its source counts as none: declaring it makes one).
async fn live(rt: &Runtime, viewer: &str, d: &Declared) -> Result<Option<Definition>> {
    match definition(rt, viewer, d.kind, &d.path).await {
        Ok(def) => Ok(Some(def)),
        Err(SluiceError::UndefinedObject { .. } | SluiceError::UndefinedTable { .. }) => Ok(None),
        Err(e) if e.sqlstate() == SqlState::WrongObjectType => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether `viewer` owns secret `name` or is a superuser.
async fn may_read(rt: &Runtime, viewer: &str, name: &str) -> Result<bool> {
    let owner = rt.store.owner(sluice_catalog::privileges::ObjectKind::Secret, name).await?;
    Ok(owner.as_deref() == Some(viewer) || rt.store.role(viewer).await?.is_some_and(|r| r.superuser))
}

/// Whether a SHOW CREATE statement is an `ALTER … OWNER TO`.
fn is_owner(statement: &str) -> bool {
    statement.starts_with("ALTER ") && statement.contains(" OWNER TO ")
}

async fn secret_value(rt: &Runtime, name: &str) -> Result<Vec<u8>> {
    let mut opened = crate::secrets::open_named(&rt.store, &rt.master_key, [name.to_owned()]).await?;
    Ok(opened.remove(name).unwrap_or_default())
}

/// How an existing object whose CREATE changed is changed: in place where its kind has
/// an ALTER for it, else CREATE OR REPLACE.
fn remake(d: &Declared, secret_changed: bool) -> Result<(Action, Vec<String>)> {
    use GatewayStatement as G;
    Ok(match &d.create {
        G::CreateRole(r) => {
            let flag = |on: bool, yes: &str, no: &str| if on { yes.to_owned() } else { no.to_owned() };
            let new = super::declared::role_attributes(r);
            let sql = format!(
                "ALTER ROLE {} WITH {} {} {}",
                r.name,
                flag(new.0, "SUPERUSER", "NOSUPERUSER"),
                flag(new.1, "LOGIN", "NOLOGIN"),
                flag(new.2, "INHERIT", "NOINHERIT")
            );
            (Action::Alter, vec![sql])
        }
        G::CreateSecret(s) if secret_changed => {
            let mut replace = s.clone();
            (replace.or_replace, replace.if_not_exists) = (true, false);
            (Action::Alter, vec![replace.to_string()])
        }
        G::CreateSecret(_) => (Action::Unchanged, Vec::new()),
        other => (Action::Replace, vec![or_replace(other)?]),
    })
}

/// Whether `create` is a CREATE SOURCE of the type the source has now.
fn same_source_type(create: &GatewayStatement, live: &str) -> bool {
    match (create, parse_one(live)) {
        (GatewayStatement::CreateSource(new), Ok(GatewayStatement::CreateSource(old))) => {
            new.source_type.eq_ignore_ascii_case(&old.source_type)
        }
        _ => false,
    }
}

/// The CREATE OR REPLACE form of a CREATE.
fn or_replace(g: &GatewayStatement) -> Result<String> {
    use GatewayStatement as G;
    let mut g = g.clone();
    match &mut g {
        G::CreateSecret(s) => (s.or_replace, s.if_not_exists) = (true, false),
        G::CreateSource(s) => (s.or_replace, s.if_not_exists) = (true, false),
        G::CreateTable(s) => (s.or_replace, s.if_not_exists) = (true, false),
        G::CreateTarget(s) => (s.or_replace, s.if_not_exists) = (true, false),
        G::CreatePipeline(s) => (s.or_replace, s.if_not_exists) = (true, false),
        G::CreateSync(s) => (s.or_replace, s.if_not_exists) = (true, false),
        G::CreateSchedule(s) => (s.or_replace, s.if_not_exists) = (true, false),
        other => return Err(SluiceError::Internal(format!("{other} has no OR REPLACE"))),
    }
    Ok(g.to_string())
}

/// The GRANT, REVOKE, OWNER and PAUSE/RESUME statements that take the object's other
/// statements from `live` to `wanted`.
/// After a CREATE OR REPLACE (`replaced`) every wanted statement runs again (a replaced
/// schedule is active and owned by whoever replaced it); the owner changes last, once
/// the grants are made.
fn extras(live: &Definition, wanted: &Definition, replaced: bool) -> Result<Vec<String>> {
    let (old, new) = (&live.statements[1..], &wanted.statements[1..]);
    let mut out = Vec::new();
    for gone in old.iter().filter(|s| !new.contains(s)) {
        match parse_one(gone)? {
            GatewayStatement::GrantPrivileges(g) => out.push(revoke(&g).to_string()),
            GatewayStatement::GrantRole(g) => out.push(revoke_role(&g).to_string()),
            GatewayStatement::SetScheduleState(s) if !replaced => {
                out.push(format!("RESUME SCHEDULE {}", s.name))
            }
            _ => {}
        }
    }
    out.extend(new.iter().filter(|s| replaced || !old.contains(s)).cloned());
    out.sort_by_key(|s| is_owner(s));
    Ok(out)
}

fn parse_one(sql: &str) -> Result<GatewayStatement> {
    match parse(sql).map_err(SluiceError::from)?.into_iter().next().map(|p| p.statement) {
        Some(Statement::Gateway(g)) => Ok(g),
        _ => Err(SluiceError::Internal("a SHOW CREATE statement did not parse back".into())),
    }
}

fn revoke(g: &GrantPrivileges) -> RevokePrivileges {
    RevokePrivileges {
        grant_option_for: false,
        privileges: g.privileges.clone(),
        objects: g.objects.clone(),
        grantees: g.grantees.clone(),
        cascade: false,
    }
}

fn revoke_role(g: &GrantRole) -> RevokeRole {
    RevokeRole { admin_option_for: false, roles: g.roles.clone(), members: g.members.clone() }
}

/// Whether pipeline `name` has an active deployment.
async fn running(rt: &Runtime, name: &str) -> Result<bool> {
    Ok(rt.store.deployments(Some(name)).await?.iter().any(|d| d.state.is_active()))
}

/// Binds the pipelines the script creates or replaces against the catalog as it is, and
/// compiles them for their engines as CREATE PIPELINE does — those that name no source the
/// same script creates or changes (those are bound when APPLY makes them).
async fn check_pipelines(rt: &Runtime, declared: &[Declared], changes: &[Change]) -> Result<()> {
    let changing: Vec<String> = declared
        .iter()
        .zip(changes)
        .filter(|(d, c)| {
            matches!(d.kind, DefinitionKind::Source | DefinitionKind::Table) && c.action != Action::Unchanged
        })
        .filter_map(|(d, _)| d.path.0.first().map(|s| format!("{s}.")))
        .collect();
    let new_targets: Vec<&str> = declared
        .iter()
        .zip(changes)
        .filter(|(d, c)| d.kind == DefinitionKind::Target && c.action != Action::Unchanged)
        .filter_map(|(d, _)| match d.path.0.as_slice() {
            [one] => Some(one.as_str()),
            _ => None,
        })
        .collect();
    for (d, c) in declared.iter().zip(changes) {
        if let (GatewayStatement::CreatePipeline(p), Action::Create | Action::Replace) = (&d.create, c.action)
        {
            if names_any(&p.to_string(), &changing) {
                continue;
            }
            let mut notices = Vec::new();
            let mut ctx =
                crate::plan::PlanCtx { store: &rt.store, master_key: &rt.master_key, notices: &mut notices };
            let bound = match bind(&mut ctx, &p.options, &p.body, Tables::Schemas).await {
                Ok(bound) => bound,
                Err(e) => return Err(with_object(e, "pipeline", &c.name, d.at)),
            };
            // compiled for its engine as CREATE PIPELINE will, unless the script creates or
            // changes its target (then APPLY checks it, after the target)
            if bound.settings.target.as_deref().is_some_and(|t| new_targets.contains(&t)) {
                continue;
            }
            if let Err(e) = super::pipelines::checked_plan(rt, &c.name, bound).await {
                return Err(with_object(e, "pipeline", &c.name, d.at));
            }
        }
    }
    Ok(())
}

/// Whether `sql` has one of `prefixes` (`source.`) at the start of a name.
fn names_any(sql: &str, prefixes: &[String]) -> bool {
    prefixes.iter().any(|prefix| {
        sql.match_indices(prefix.as_str()).any(|(i, _)| {
            sql[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '"'))
        })
    })
}

/// `e` naming the object it is about, at its statement when it has no position.
fn with_object(e: SluiceError, kind: &str, name: &str, at: SourcePos) -> SluiceError {
    let pos = e.pos().unwrap_or(at);
    SluiceError::Query {
        state: e.sqlstate(),
        message: format!("{kind} {name}: {}", e.message()),
        hint: e.hint().map(str::to_owned),
        pos: Some(pos),
    }
}

/// A unified diff of two scripts' lines (no hunk headers: scripts are short).
pub fn diff(old: &[String], new: &[String]) -> String {
    let (n, m) = (old.len(), new.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] =
                if old[i] == new[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            out.push(format!(" {}", old[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(format!("-{}", old[i]));
            i += 1;
        } else {
            out.push(format!("+{}", new[j]));
            j += 1;
        }
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::diff;

    #[test]
    fn diffs_mark_removed_added_and_kept_lines() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(diff(&s(&["a", "b", "c"]), &s(&["a", "x", "c"])), " a\n-b\n+x\n c");
        assert_eq!(diff(&[], &s(&["a"])), "+a");
        assert_eq!(diff(&s(&["a"]), &s(&["a"])), " a");
    }
}
