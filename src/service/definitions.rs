//! Definitions: the statements that re-create an object as it is now — for SHOW CREATE,
//! and for the scripts `sluice dump` writes. Built from the catalog's records through the
//! statements' own ASTs, so each one parses back to what the catalog holds: options in
//! their normalised form, secrets by name. What cannot be shown (a secret's value, a
//! role's password) becomes a placeholder or is left out, and a comment says so.

use sluice_catalog::privileges::{GrantRecord, Membership, ObjectKind, is_predefined_role};

use crate::connectors::ResolvedOptions;
use crate::connectors::access::stored_options;
use crate::connectors::definition::TableDefinition;
use crate::connectors::lookup_type;
use crate::deploy::target_types::target_type;
use crate::error::{Result, SluiceError, SqlState};
use crate::runtime::Runtime;
use crate::scheduler::cron::DEFAULT_ZONE;
use crate::sql::ast::grant::{AlterOwner, GrantPrivileges, GrantRole, Objects, Privileges};
use crate::sql::ast::schedule::{CreateSchedule, SetScheduleState};
use crate::sql::ast::secret::{CreateSecret, SecretValue};
use crate::sql::ast::show_create::DefinitionKind;
use crate::sql::ast::source::{CreateSource, ObjectPath};
use crate::sql::ast::target::CreateTarget;
use crate::sql::ast::{CreateRole, GatewayStatement, Ident, RoleOption};
use crate::sql::{Statement, parse, parse_schedule_tasks};

/// The script that re-creates one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub kind: DefinitionKind,
    /// The object's name (`shop`, `Mixed Case`); a table's as SQL (`k.clicks`, `lake."DB".t`).
    pub name: String,
    /// What the statements do not show, as comments before them.
    pub notes: Vec<String>,
    /// The CREATE statement, then `ALTER … OWNER TO` and the GRANTs (without `;`).
    pub statements: Vec<String>,
}

impl Definition {
    /// The notes as `--` comments, then each statement on its own line with its `;`.
    pub fn script(&self) -> String {
        let mut lines: Vec<String> = self.notes.iter().map(|n| format!("-- {n}")).collect();
        lines.extend(self.statements.iter().map(|s| format!("{s};")));
        lines.join("\n")
    }
}

/// The definition of object `name` of `kind`, as role `viewer` sees it: the owner is
/// named only when it is someone else.
pub async fn definition(
    rt: &Runtime,
    viewer: &str,
    kind: DefinitionKind,
    name: &ObjectPath,
) -> Result<Definition> {
    let shared = Shared::load(rt, viewer).await?;
    one(rt, &shared, kind, name).await
}

/// Every object's definition ([`ShowCreate::All`](crate::sql::ast::show_create::ShowCreate)):
/// by kind in dependency order, then by name; without the built-in objects and the
/// pipelines syncs made (their syncs re-create them).
pub async fn all(rt: &Runtime, viewer: &str) -> Result<Vec<Definition>> {
    let shared = Shared::load(rt, viewer).await?;
    let mut names: Vec<(DefinitionKind, Vec<String>)> = Vec::new();
    let store = &rt.store;
    let roles = store.roles().await?.into_iter().map(|r| r.name).filter(|n| !is_predefined_role(n));
    let roles = members_last(roles.collect(), &shared.memberships);
    names.push((DefinitionKind::Secret, store.secrets().await?.into_iter().map(|s| s.name).collect()));
    let sources: Vec<String> = store.sources().await?.into_iter().map(|s| s.name).collect();
    names.push((DefinitionKind::Source, sources.clone()));
    let mut tables = Vec::new();
    for source in &sources {
        for t in store.tables(source, None).await?.into_iter().filter(|t| t.kind == "declared") {
            let parts = [Some(t.source), Some(t.database).filter(|d| !d.is_empty()), Some(t.name)];
            tables.push(parts.into_iter().flatten().map(Ident::new).collect::<Vec<_>>());
        }
    }
    let targets = store.targets().await?.into_iter().filter(|t| !is_builtin_target(t)).map(|t| t.name);
    names.push((DefinitionKind::Target, targets.collect()));
    let syncs: Vec<String> = store.syncs().await?.into_iter().map(|s| s.name).collect();
    let pipelines = store.pipelines().await?.into_iter().map(|p| p.name).filter(|n| !syncs.contains(n));
    names.push((DefinitionKind::Pipeline, pipelines.collect()));
    names.push((DefinitionKind::Sync, syncs));
    names.push((DefinitionKind::Schedule, store.schedules().await?.into_iter().map(|s| s.name).collect()));
    let mut paths: Vec<(DefinitionKind, ObjectPath)> = names
        .into_iter()
        .flat_map(|(kind, names)| names.into_iter().map(move |n| (kind, ObjectPath(vec![Ident::new(n)]))))
        .chain(tables.into_iter().map(|parts| (DefinitionKind::Table, ObjectPath(parts))))
        .collect();
    paths.sort_by(|a, b| (a.0, &a.1.0).cmp(&(b.0, &b.1.0)));
    // roles first, each after the roles it is a member of (its script grants them)
    let roles = roles.into_iter().map(|n| (DefinitionKind::Role, ObjectPath(vec![Ident::new(n)])));
    let paths: Vec<_> = roles.chain(paths).collect();
    let mut out = Vec::with_capacity(paths.len());
    for (kind, path) in &paths {
        out.push(one(rt, &shared, *kind, path).await?);
    }
    Ok(out)
}

/// `roles` (sorted by name) reordered so that each comes after the roles it is a member
/// of, otherwise by name. Memberships have no cycles (GRANT refuses them); were there one,
/// its roles would follow in name order.
fn members_last(mut roles: Vec<String>, memberships: &[Membership]) -> Vec<String> {
    roles.sort();
    let mut out: Vec<String> = Vec::with_capacity(roles.len());
    while !roles.is_empty() {
        let ready = roles.iter().position(|r| {
            memberships.iter().filter(|m| m.member == *r).all(|m| !roles.contains(&m.role) || m.role == *r)
        });
        out.push(roles.remove(ready.unwrap_or(0)));
    }
    out
}

/// What every definition reads: who asks, the grants and the memberships.
struct Shared {
    viewer: String,
    grants: Vec<GrantRecord>,
    memberships: Vec<Membership>,
}

impl Shared {
    async fn load(rt: &Runtime, viewer: &str) -> Result<Shared> {
        Ok(Shared {
            viewer: viewer.to_owned(),
            grants: rt.store.grants().await?,
            memberships: rt.store.memberships().await?,
        })
    }
}

/// The `local` target as the gateway makes it at start.
fn is_builtin_target(t: &sluice_catalog::TargetRecord) -> bool {
    t.name == crate::deploy::targets::LOCAL
        && t.target_type == "local"
        && ResolvedOptions::from_stored(&t.options, "target", &t.name).is_ok_and(|o| o.0.is_empty())
}

async fn one(rt: &Runtime, shared: &Shared, kind: DefinitionKind, name: &ObjectPath) -> Result<Definition> {
    let single = match name.0.as_slice() {
        [one] => Some(one.as_str()),
        _ => None,
    };
    let label = single.map_or_else(|| name.to_string(), str::to_owned);
    let mut def = Definition { kind, name: label, notes: Vec::new(), statements: Vec::new() };
    match (kind, single) {
        (DefinitionKind::Table, _) => def.statements.push(table(rt, name).await?),
        (_, None) => {
            return Err(SluiceError::Syntax {
                message: format!("improper {} name {name}", kind.name()),
                pos: None,
            });
        }
        (DefinitionKind::Role, Some(n)) => role(rt, shared, n, &mut def).await?,
        (DefinitionKind::Secret, Some(n)) => secret(rt, n, &mut def).await?,
        (DefinitionKind::Source, Some(n)) => def.statements.push(source(rt, n).await?),
        (DefinitionKind::Target, Some(n)) => def.statements.push(target(rt, n).await?),
        (DefinitionKind::Pipeline, Some(n)) => {
            def.statements.push(super::pipelines::load(rt, n).await?.create_statement().to_string())
        }
        (DefinitionKind::Sync, Some(n)) => def.statements.push(sync(rt, n).await?),
        (DefinitionKind::Schedule, Some(n)) => def.statements.extend(schedule(rt, n).await?),
    }
    if let (Some(object), Some(n)) = (ObjectKind::parse(kind.name()), single) {
        owner_and_grants(rt, shared, object, n, &mut def.statements).await?;
    }
    Ok(def)
}

fn undefined(kind: DefinitionKind, name: &str) -> SluiceError {
    SluiceError::UndefinedObject { kind: kind.name(), name: name.to_owned() }
}

async fn role(rt: &Runtime, shared: &Shared, name: &str, def: &mut Definition) -> Result<()> {
    let role = rt.store.role(name).await?.ok_or_else(|| undefined(DefinitionKind::Role, name))?;
    let ident = Ident::new(name);
    let mut options = Vec::new();
    if role.superuser {
        options.push(RoleOption::Superuser(true));
    }
    if role.can_login {
        options.push(RoleOption::Login(true));
    }
    if !role.inherit {
        options.push(RoleOption::Inherit(false));
    }
    if role.password_verifier.is_some() {
        def.notes.push(format!(
            "role {ident} has a password, which is not shown: set it with ALTER ROLE {ident} PASSWORD '…'"
        ));
    }
    let create = CreateRole { name: ident.clone(), if_not_exists: false, user: false, options };
    def.statements.push(create.to_string());
    // the roles it is a member of, and what it may create in the database
    for m in shared.memberships.iter().filter(|m| m.member == name) {
        def.statements.push(membership(m, role.inherit));
    }
    let on_database = shared.grants.iter().filter(|g| g.kind == ObjectKind::Database && g.grantee == name);
    def.statements.extend(grants(on_database));
    Ok(())
}

async fn secret(rt: &Runtime, name: &str, def: &mut Definition) -> Result<()> {
    let record = rt.store.secret(name).await?.ok_or_else(|| undefined(DefinitionKind::Secret, name))?;
    let value = match record.kind.as_str() {
        "binary" => SecretValue::Binary(Vec::new()),
        _ => SecretValue::Text(String::new()),
    };
    let create = CreateSecret { name: Ident::new(name), or_replace: false, if_not_exists: false, value };
    def.notes.push(format!(
        "the value of secret {} is not shown: put it in place of '***' before running this",
        create.name
    ));
    def.statements.push(create.redacted());
    Ok(())
}

async fn source(rt: &Runtime, name: &str) -> Result<String> {
    let record = rt.store.source(name).await?.ok_or_else(|| undefined(DefinitionKind::Source, name))?;
    let source_type = lookup_type(&record.source_type)?;
    let create = CreateSource {
        name: Ident::new(name),
        or_replace: false,
        if_not_exists: false,
        source_type: record.source_type.clone(),
        options: stored_options(&record)?.to_sql(source_type),
    };
    Ok(create.to_string())
}

/// The CREATE TABLE a declared table was made with (normalised, without OR REPLACE or IF
/// NOT EXISTS); 42809 for a table read from its source.
async fn table(rt: &Runtime, path: &ObjectPath) -> Result<String> {
    let (source, database, name) = match path.0.as_slice() {
        [s, t] => (s.as_str(), "", t.as_str()),
        [s, d, t] => (s.as_str(), d.as_str(), t.as_str()),
        _ => return Err(SluiceError::UndefinedTable { name: path.to_string(), pos: None }),
    };
    let record = rt.store.table(source, database, name).await?;
    let record = record.ok_or_else(|| SluiceError::UndefinedTable { name: path.to_string(), pos: None })?;
    let definition = record.definition.as_deref().map(|d| TableDefinition::from_stored(d, &path.to_string()));
    let definition = definition.transpose()?.filter(|_| record.kind == "declared");
    let (statement, options) = match definition {
        Some(TableDefinition { statement: Some(statement), options, .. }) => (statement, options),
        _ => {
            return Err(SluiceError::Query {
                state: SqlState::WrongObjectType,
                message: format!(
                    "table {path} is read from its source: only a declared table has a CREATE TABLE"
                ),
                hint: Some(format!("DESCRIBE {path} shows its columns")),
                pos: None,
            });
        }
    };
    let corrupt = |detail: String| {
        SluiceError::Store(sluice_catalog::StoreError::Corrupt {
            kind: "table",
            name: path.to_string(),
            detail,
        })
    };
    let parsed = parse(&statement).map_err(|e| corrupt(e.message()))?;
    match parsed.into_iter().next().map(|p| p.statement) {
        Some(Statement::Gateway(GatewayStatement::CreateTable(mut create))) => {
            create.or_replace = false;
            create.if_not_exists = false;
            // the options as checked and stored, in the order and form SHOW CREATE SOURCE uses
            let source = rt.store.source(source).await?;
            if let Some(t) = source.map(|s| lookup_type(&s.source_type)).transpose()? {
                create.options = options.to_sql_with(t.table_options);
            }
            Ok(create.to_string())
        }
        _ => Err(corrupt("the stored statement is not a CREATE TABLE".into())),
    }
}

async fn target(rt: &Runtime, name: &str) -> Result<String> {
    let record = rt.store.target(name).await?.ok_or_else(|| undefined(DefinitionKind::Target, name))?;
    let t = target_type(&record.target_type)?;
    let create = CreateTarget {
        name: Ident::new(name),
        or_replace: false,
        if_not_exists: false,
        target_type: t.name.to_owned(),
        options: ResolvedOptions::from_stored(&record.options, "target", name)?.to_sql_with(t.options),
    };
    Ok(create.to_string())
}

async fn sync(rt: &Runtime, name: &str) -> Result<String> {
    let record = rt.store.sync(name).await?.ok_or_else(|| undefined(DefinitionKind::Sync, name))?;
    let options = ResolvedOptions::from_stored(&record.options, "sync", name)?;
    let mut create = super::syncs::statement_of(&record, &options);
    create.or_replace = false;
    Ok(create.to_string())
}

/// CREATE SCHEDULE, and PAUSE SCHEDULE when it is paused.
async fn schedule(rt: &Runtime, name: &str) -> Result<Vec<String>> {
    let record = rt.store.schedule(name).await?.ok_or_else(|| undefined(DefinitionKind::Schedule, name))?;
    let tasks = parse_schedule_tasks(&record.body).map_err(|e| {
        SluiceError::Store(sluice_catalog::StoreError::Corrupt {
            kind: "schedule",
            name: name.to_owned(),
            detail: e.message(),
        })
    })?;
    let create = CreateSchedule {
        name: Ident::new(name),
        or_replace: false,
        if_not_exists: false,
        cron: record.cron.clone(),
        timezone: (record.timezone != DEFAULT_ZONE).then(|| record.timezone.clone()),
        options: ResolvedOptions::from_stored(&record.options, "schedule", name)?
            .to_sql_with(crate::scheduler::options::OPTIONS),
        tasks,
    };
    let mut out = vec![create.to_string()];
    if record.state == "paused" {
        out.push(SetScheduleState { name: Ident::new(name), pause: true }.to_string());
    }
    Ok(out)
}

/// `ALTER kind name OWNER TO owner` when `viewer` does not own it, then the GRANTs on it.
async fn owner_and_grants(
    rt: &Runtime,
    shared: &Shared,
    kind: ObjectKind,
    name: &str,
    out: &mut Vec<String>,
) -> Result<()> {
    if let Some(owner) = rt.store.owner(kind, name).await?.filter(|o| *o != shared.viewer) {
        let alter = AlterOwner {
            kind: kind.as_str().to_uppercase(),
            name: Ident::new(name),
            owner: Ident::new(owner),
        };
        out.push(alter.to_string());
    }
    out.extend(grants(shared.grants.iter().filter(|g| g.kind == kind && g.object == name)));
    Ok(())
}

/// `GRANT role TO member`, with the options that differ from the defaults (`inherits`:
/// the member's INHERIT attribute).
pub(super) fn membership(m: &Membership, inherits: bool) -> String {
    let grant = GrantRole {
        roles: vec![Ident::new(m.role.clone())],
        members: vec![Ident::new(m.member.clone())],
        admin: m.admin_option.then_some(true),
        inherit: (m.inherit != inherits).then_some(m.inherit),
    };
    grant.to_string()
}

/// One GRANT per grantee and grant option, privileges in a fixed order.
pub(super) fn grants<'a>(records: impl Iterator<Item = &'a GrantRecord>) -> Vec<String> {
    let mut sorted: Vec<&GrantRecord> = records.collect();
    sorted.sort_by(|a, b| {
        (a.kind.as_str(), &a.object, &a.grantee, a.grant_option, a.privilege.as_str()).cmp(&(
            b.kind.as_str(),
            &b.object,
            &b.grantee,
            b.grant_option,
            b.privilege.as_str(),
        ))
    });
    let mut out: Vec<GrantPrivileges> = Vec::new();
    for g in sorted {
        let privilege = g.privilege.as_str().to_owned();
        let same = |p: &GrantPrivileges| {
            p.objects.kind.eq_ignore_ascii_case(g.kind.as_str())
                && p.objects.names[0].as_str() == g.object
                && p.grantees[0].as_str() == g.grantee
                && p.with_grant_option == g.grant_option
        };
        match out.last_mut() {
            Some(last) if same(last) => {
                if let Privileges::Named(names) = &mut last.privileges {
                    names.push(privilege);
                }
            }
            _ => out.push(GrantPrivileges {
                privileges: Privileges::Named(vec![privilege]),
                objects: Objects {
                    kind: g.kind.as_str().to_uppercase(),
                    names: vec![Ident::new(g.object.clone())],
                },
                grantees: vec![Ident::new(g.grantee.clone())],
                with_grant_option: g.grant_option,
            }),
        }
    }
    out.iter().map(|g| g.to_string()).collect()
}
