//! What a declarative script declares: its statements grouped by object, each object's
//! definition normalised exactly as SHOW CREATE would show it once the script is applied
//! (options checked against their schemas and printed in stored form, defaults left
//! out, grants grouped), so that comparing it with the catalog's shows real changes only.

use sluice_catalog::privileges::{GrantRecord, Membership, ObjectKind, Privilege};

use super::definitions::{Definition, grants, membership};
use crate::connectors::validate::validate_with;
use crate::connectors::{ResolvedOptions, lookup_type, validate};
use crate::deploy::target_types;
use crate::error::{Result, SluiceError, SqlState};
use crate::runtime::Runtime;
use crate::scheduler::cron::DEFAULT_ZONE;
use crate::sql::ast::grant::{GrantPrivileges, Privileges};
use crate::sql::ast::show_create::DefinitionKind;
use crate::sql::ast::source::ObjectPath;
use crate::sql::ast::{CreateRole, GatewayStatement, Ident, Password, RoleOption};
use crate::sql::error::SourcePos;
use crate::sql::{LineIndex, Statement, parse};

/// One object a script declares.
#[derive(Debug, Clone)]
pub struct Declared {
    pub kind: DefinitionKind,
    pub path: ObjectPath,
    /// Its CREATE statement.
    pub create: GatewayStatement,
    /// Its GRANTs, `ALTER … OWNER TO` and PAUSE SCHEDULE, in script order.
    pub extras: Vec<GatewayStatement>,
    /// Where its CREATE starts in the script.
    pub at: SourcePos,
}

impl Declared {
    /// The name as SHOW CREATE labels it.
    pub fn label(&self) -> String {
        match self.path.0.as_slice() {
            [one] => one.as_str().to_owned(),
            _ => self.path.to_string(),
        }
    }
}

fn at(error: SluiceError, pos: SourcePos) -> SluiceError {
    if error.pos().is_some() {
        return error;
    }
    SluiceError::Query {
        state: error.sqlstate(),
        message: error.message(),
        hint: error.hint().map(str::to_owned),
        pos: Some(pos),
    }
}

fn refuse(message: String, pos: SourcePos) -> SluiceError {
    SluiceError::Query { state: SqlState::FeatureNotSupported, message, hint: None, pos: Some(pos) }
}

/// The objects `script` declares, in script order; anything but a declaration, an object
/// declared twice, or a GRANT for an object the script does not create is an error at
/// its statement.
pub fn read(script: &str) -> Result<Vec<Declared>> {
    let lines = LineIndex::new(script);
    let mut out: Vec<Declared> = Vec::new();
    for parsed in parse(script).map_err(SluiceError::from)? {
        let pos = lines.pos(parsed.range.start);
        let Statement::Gateway(g) = parsed.statement else {
            return Err(refuse("only declarations (CREATE, GRANT, ALTER … OWNER TO, PAUSE SCHEDULE) can be applied: this is a query or session statement".into(), pos));
        };
        if let Some((kind, path)) = created(&g) {
            if out.iter().any(|d| d.kind == kind && d.path == path) {
                return Err(at(
                    SluiceError::DuplicateObject { kind: kind.name(), name: path.to_string() },
                    pos,
                ));
            }
            out.push(Declared { kind, path, create: g, extras: Vec::new(), at: pos });
            continue;
        }
        let Some(owners) = owners_of(&g) else {
            let verb: Vec<String> = g.to_string().split_whitespace().take(2).map(str::to_owned).collect();
            let verb = verb.join(" ");
            return Err(refuse(
                format!(
                    "{verb} is not a declaration: only CREATE, GRANT, ALTER … OWNER TO and PAUSE SCHEDULE can be applied"
                ),
                pos,
            ));
        };
        for (kind, path) in owners {
            let Some(owner) = out.iter_mut().find(|d| d.kind == kind && d.path == path) else {
                let message = format!(
                    "{} {path}: a GRANT, OWNER or PAUSE goes after the CREATE of its object in the same files",
                    kind.name()
                );
                return Err(SluiceError::Query {
                    state: SqlState::UndefinedObject,
                    message,
                    hint: None,
                    pos: Some(pos),
                });
            };
            owner.extras.push(g.clone());
        }
    }
    Ok(out)
}

fn one(kind: DefinitionKind, name: &Ident) -> (DefinitionKind, ObjectPath) {
    (kind, ObjectPath(vec![name.clone()]))
}

/// The object a CREATE statement makes.
fn created(g: &GatewayStatement) -> Option<(DefinitionKind, ObjectPath)> {
    use DefinitionKind as K;
    use GatewayStatement as G;
    Some(match g {
        G::CreateRole(s) => one(K::Role, &s.name),
        G::CreateSecret(s) => one(K::Secret, &s.name),
        G::CreateSource(s) => one(K::Source, &s.name),
        G::CreateTable(s) => (K::Table, s.name.clone()),
        G::CreateTarget(s) => one(K::Target, &s.name),
        G::CreatePipeline(s) => one(K::Pipeline, &s.name),
        G::CreateSync(s) => one(K::Sync, &s.name),
        G::CreateSchedule(s) => one(K::Schedule, &s.name),
        _ => return None,
    })
}

/// The objects a GRANT, OWNER or PAUSE statement belongs to (a role's memberships and
/// grants on the database to the member or grantee).
fn owners_of(g: &GatewayStatement) -> Option<Vec<(DefinitionKind, ObjectPath)>> {
    use GatewayStatement as G;
    match g {
        G::GrantPrivileges(s) if s.objects.kind == "DATABASE" => {
            Some(s.grantees.iter().map(|r| one(DefinitionKind::Role, r)).collect())
        }
        G::GrantPrivileges(s) => {
            let kind = DefinitionKind::from_keyword(&s.objects.kind)?;
            Some(s.objects.names.iter().map(|n| one(kind, n)).collect())
        }
        G::GrantRole(s) => Some(s.members.iter().map(|m| one(DefinitionKind::Role, m)).collect()),
        G::AlterOwner(s) => Some(vec![one(DefinitionKind::from_keyword(&s.kind)?, &s.name)]),
        G::SetScheduleState(s) if s.pause => Some(vec![one(DefinitionKind::Schedule, &s.name)]),
        _ => None,
    }
}

/// The definition `d` will have once applied, as `viewer` would see it, and for a secret
/// the value it declares (`None`: the placeholder, which keeps the current value).
pub async fn desired(
    rt: &Runtime,
    viewer: &str,
    d: &Declared,
    all: &[Declared],
) -> Result<(Definition, Option<Vec<u8>>)> {
    let mut def = Definition { kind: d.kind, name: d.label(), notes: Vec::new(), statements: Vec::new() };
    let mut value = None;
    let create = normalised(rt, d, all, &mut def, &mut value).await.map_err(|e| at(e, d.at))?;
    def.statements.push(create);
    let mut records: Vec<GrantRecord> = Vec::new();
    let mut owner: Option<String> = None;
    let mut paused = false;
    for extra in &d.extras {
        match extra {
            GatewayStatement::GrantPrivileges(g) => records.extend(grant_records(g, d)),
            GatewayStatement::GrantRole(g) => {
                let inherits = role_inherits(&d.create);
                for role in &g.roles {
                    let m = Membership {
                        role: role.as_str().to_owned(),
                        member: d.label(),
                        admin_option: g.admin == Some(true),
                        inherit: g.inherit.unwrap_or(inherits),
                        grantor: String::new(),
                        granted_at: 0,
                    };
                    def.statements.push(membership(&m, inherits));
                }
            }
            GatewayStatement::AlterOwner(o) => owner = Some(o.owner.as_str().to_owned()),
            GatewayStatement::SetScheduleState(_) => paused = true,
            _ => {}
        }
    }
    if paused {
        def.statements.push(format!("PAUSE SCHEDULE {}", d.path));
    }
    if let Some(owner) = owner.filter(|o| o != viewer) {
        def.statements.push(format!("ALTER {} {} OWNER TO {}", d.kind.keyword(), d.path, Ident::new(owner)));
    }
    def.statements.extend(grants(records.iter()));
    Ok((def, value))
}

/// SUPERUSER, LOGIN and INHERIT as a CREATE ROLE (or CREATE USER) leaves them.
pub fn role_attributes(r: &CreateRole) -> (bool, bool, bool) {
    (
        role_flag(r, |o| if let RoleOption::Superuser(b) = o { Some(*b) } else { None }).unwrap_or(false),
        role_flag(r, |o| if let RoleOption::Login(b) = o { Some(*b) } else { None }).unwrap_or(r.user),
        role_flag(r, |o| if let RoleOption::Inherit(b) = o { Some(*b) } else { None }).unwrap_or(true),
    )
}

/// The last value a role statement gives an attribute.
fn role_flag(r: &CreateRole, get: impl Fn(&RoleOption) -> Option<bool>) -> Option<bool> {
    r.options.iter().rev().find_map(get)
}

fn role_inherits(create: &GatewayStatement) -> bool {
    match create {
        GatewayStatement::CreateRole(r) => role_attributes(r).2,
        _ => true,
    }
}

fn grant_records(g: &GrantPrivileges, d: &Declared) -> Vec<GrantRecord> {
    let Some(kind) = ObjectKind::parse(&g.objects.kind) else { return Vec::new() };
    let privileges: Vec<Privilege> = match &g.privileges {
        Privileges::All => kind.privileges().to_vec(),
        Privileges::Named(names) => names.iter().filter_map(|n| Privilege::parse(n)).collect(),
    };
    let objects: Vec<String> = match kind {
        ObjectKind::Database => g.objects.names.iter().map(|n| n.as_str().to_owned()).collect(),
        _ => vec![d.label()],
    };
    let grantees = g.grantees.iter().filter(|r| kind != ObjectKind::Database || r.as_str() == d.label());
    let mut out = Vec::new();
    for grantee in grantees {
        for object in &objects {
            for privilege in &privileges {
                out.push(GrantRecord {
                    kind,
                    object: object.clone(),
                    grantee: grantee.as_str().to_owned(),
                    privilege: *privilege,
                    grant_option: g.with_grant_option,
                    grantor: String::new(),
                    granted_at: 0,
                });
            }
        }
    }
    out
}

/// The CREATE statement in SHOW CREATE's form.
async fn normalised(
    rt: &Runtime,
    d: &Declared,
    all: &[Declared],
    def: &mut Definition,
    value: &mut Option<Vec<u8>>,
) -> Result<String> {
    use GatewayStatement as G;
    Ok(match &d.create {
        G::CreateRole(r) => {
            let (superuser, login, inherit) = role_attributes(r);
            let mut options = Vec::new();
            if superuser {
                options.push(RoleOption::Superuser(true));
            }
            if login {
                options.push(RoleOption::Login(true));
            }
            if !inherit {
                options.push(RoleOption::Inherit(false));
            }
            if r.options.iter().any(|o| matches!(o, RoleOption::Password(Password::Text(_)))) {
                def.notes.push(format!("role {} has a password, which is not shown", r.name));
            }
            CreateRole { name: r.name.clone(), if_not_exists: false, user: false, options }.to_string()
        }
        G::CreateSecret(s) => {
            let placeholder = match &s.value {
                crate::sql::ast::secret::SecretValue::Text(t) => t == "***",
                crate::sql::ast::secret::SecretValue::Binary(b) => b.is_empty(),
            };
            *value = (!placeholder).then(|| s.value.bytes().to_vec());
            let mut shown = s.clone();
            shown.or_replace = false;
            shown.if_not_exists = false;
            shown.redacted()
        }
        G::CreateSource(s) => {
            let t = lookup_type(&s.source_type)?;
            let mut shown = s.clone();
            (shown.or_replace, shown.if_not_exists) = (false, false);
            shown.source_type = t.name.to_owned();
            shown.options = validate(t, &ResolvedOptions::default(), &s.options)?.to_sql(t);
            shown.to_string()
        }
        G::CreateTable(s) => {
            let source = s.name.0.first().map(|p| p.as_str()).unwrap_or_default();
            let t = source_type(rt, source, all).await?;
            let owner = format!("tables of source type {}", t.name);
            let listing = format!("DESCRIBE SOURCE TYPE {}", t.name);
            let schema = crate::connectors::validate::Schema {
                owner: &owner,
                listing: &listing,
                options: t.table_options,
                passthrough: t.table_passthrough,
            };
            let mut shown = s.clone();
            (shown.or_replace, shown.if_not_exists) = (false, false);
            shown.options =
                validate_with(schema, &ResolvedOptions::default(), &s.options)?.to_sql_with(t.table_options);
            shown.to_string()
        }
        G::CreateTarget(s) => {
            let t = target_types::target_type(&s.target_type)?;
            let mut shown = s.clone();
            (shown.or_replace, shown.if_not_exists) = (false, false);
            shown.target_type = t.name.to_owned();
            shown.options = target_types::validate(t, s.name.as_str(), &s.options)?.to_sql_with(t.options);
            shown.to_string()
        }
        G::CreatePipeline(s) => {
            let options =
                validate_with(crate::plan::bind::option_schema(), &ResolvedOptions::default(), &s.options)?;
            let mut shown = s.clone();
            (shown.or_replace, shown.if_not_exists) = (false, false);
            shown.options = options.to_sql_with(crate::plan::options::OPTIONS);
            shown.to_string()
        }
        G::CreateSync(s) => {
            let options =
                validate_with(crate::sync::options::schema(), &ResolvedOptions::default(), &s.options)?;
            let mut shown = s.clone();
            (shown.or_replace, shown.if_not_exists) = (false, false);
            shown.options = options.to_sql_with(crate::sync::options::OPTIONS);
            shown.to_string()
        }
        G::CreateSchedule(s) => {
            crate::scheduler::cron::CronSchedule::parse(
                &s.cron,
                s.timezone.as_deref().unwrap_or(DEFAULT_ZONE),
            )?;
            let options =
                validate_with(crate::scheduler::options::schema(), &ResolvedOptions::default(), &s.options)?;
            let mut shown = s.clone();
            (shown.or_replace, shown.if_not_exists) = (false, false);
            shown.timezone = s.timezone.clone().filter(|z| z != DEFAULT_ZONE);
            shown.options = options.to_sql_with(crate::scheduler::options::OPTIONS);
            shown.to_string()
        }
        other => return Err(SluiceError::Internal(format!("not a CREATE: {other}"))),
    })
}

/// The type of source `name`: as the script declares it, else as the catalog holds it.
async fn source_type(
    rt: &Runtime,
    name: &str,
    all: &[Declared],
) -> Result<&'static crate::connectors::SourceType> {
    for d in all {
        if let GatewayStatement::CreateSource(s) = &d.create
            && s.name.as_str() == name
        {
            return lookup_type(&s.source_type);
        }
    }
    let record = rt.store.source(name).await?;
    let record =
        record.ok_or_else(|| SluiceError::UndefinedObject { kind: "source", name: name.to_owned() })?;
    lookup_type(&record.source_type)
}
