//! Owners, grants and role memberships (see [`crate::privileges`]).
//!
//! Grants name their object by kind and name: a DROP removes the object's grants and a
//! rename carries them along, in the change's own transaction ([`forget_object`],
//! [`rename_object`]); a role's rename carries its grants, memberships and ownerships.

use sqlx::{Database, Executor, Row};

use super::events::Event;
use super::{BeginWrite, Store, fetch_all, with_pool};
use crate::error::{StoreError, StoreResult};
use crate::privileges::{Access, GrantRecord, Membership, ObjectKind, Privilege};
use crate::time::now_micros;

const GRANT_COLUMNS: &str = "object_kind, object_name, grantee, privilege, grant_option, grantor, granted_at";

macro_rules! grant_from_row {
    ($row:expr) => {{
        let row = $row;
        let object: String = row.try_get("object_name")?;
        let kind: String = row.try_get("object_kind")?;
        let privilege: String = row.try_get("privilege")?;
        GrantRecord {
            kind: ObjectKind::parse(&kind).ok_or_else(|| corrupt(&object, &kind))?,
            privilege: Privilege::parse(&privilege).ok_or_else(|| corrupt(&object, &privilege))?,
            object,
            grantee: row.try_get("grantee")?,
            grant_option: row.try_get("grant_option")?,
            grantor: row.try_get("grantor")?,
            granted_at: row.try_get("granted_at")?,
        }
    }};
}

macro_rules! membership_from_row {
    ($row:expr) => {{
        let row = $row;
        Membership {
            role: row.try_get("role")?,
            member: row.try_get("member")?,
            admin_option: row.try_get("admin_option")?,
            inherit: row.try_get("inherit")?,
            grantor: row.try_get("grantor")?,
            granted_at: row.try_get("granted_at")?,
        }
    }};
}

fn corrupt(object: &str, value: &str) -> StoreError {
    StoreError::Corrupt { kind: "grant", name: object.to_owned(), detail: format!("unknown value {value:?}") }
}

/// One privilege to grant.
#[derive(Debug, Clone)]
pub struct NewGrant<'a> {
    pub kind: ObjectKind,
    pub object: &'a str,
    pub grantee: &'a str,
    pub privilege: Privilege,
    pub grant_option: bool,
}

/// A membership to grant: `member` joins `role`.
#[derive(Debug, Clone)]
pub struct NewMembership<'a> {
    pub role: &'a str,
    pub member: &'a str,
    /// `WITH ADMIN OPTION`; `None` keeps what an existing membership has (else false).
    pub admin_option: Option<bool>,
    /// `WITH INHERIT …`; `None` keeps an existing membership's, else the member's INHERIT.
    pub inherit: Option<bool>,
}

impl Store {
    /// Every grant, by object then grantee.
    pub async fn grants(&self) -> StoreResult<Vec<GrantRecord>> {
        let sql = format!(
            "SELECT {GRANT_COLUMNS} FROM grants ORDER BY object_kind, object_name, grantee, privilege"
        );
        fetch_all!(self, sql, grant_from_row)
    }

    /// Every role membership.
    pub async fn memberships(&self) -> StoreResult<Vec<Membership>> {
        let sql = "SELECT role, member, admin_option, inherit, grantor, granted_at FROM role_members \
                   ORDER BY role, member"
            .to_owned();
        fetch_all!(self, sql, membership_from_row)
    }

    /// What `role` may do, as the catalog says now; `None` when there is no such role.
    /// Kept until the catalog epoch moves (it is read before the catalog, so an answer is
    /// never kept under an epoch newer than what it read).
    pub async fn access(&self, role: &str) -> StoreResult<Option<Access>> {
        let epoch = self.epoch();
        {
            let kept = self.inner.access.lock().unwrap_or_else(|p| p.into_inner());
            if kept.0 == epoch
                && let Some(access) = kept.1.get(role)
            {
                return Ok(access.clone());
            }
        }
        let access = self.read_access(role).await?;
        let mut kept = self.inner.access.lock().unwrap_or_else(|p| p.into_inner());
        if kept.0 != epoch {
            *kept = (epoch, Default::default());
        }
        kept.1.insert(role.to_owned(), access.clone());
        Ok(access)
    }

    async fn read_access(&self, role: &str) -> StoreResult<Option<Access>> {
        let Some(record) = self.role(role).await? else { return Ok(None) };
        if record.superuser {
            return Ok(Some(Access::resolve(role, true, &[], Vec::new())));
        }
        let memberships = self.memberships().await?;
        Ok(Some(Access::resolve(role, false, &memberships, self.grants().await?)))
    }

    /// The owner of `kind` `name` (`None` for the database, or when there is no such object).
    pub async fn owner(&self, kind: ObjectKind, name: &str) -> StoreResult<Option<String>> {
        let Some(table) = kind.table() else { return Ok(None) };
        let sql = format!("SELECT owner FROM {table} WHERE name = $1");
        with_pool!(self, |p| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_optional(p).await?;
            Ok(match row {
                Some(row) => Some(row.try_get("owner")?),
                None => None,
            })
        })
    }

    /// The objects `role` owns, as (kind, name).
    pub async fn owned_by(&self, role: &str) -> StoreResult<Vec<(ObjectKind, String)>> {
        let mut owned = Vec::new();
        for kind in ObjectKind::ALL {
            let Some(table) = kind.table() else { continue };
            let sql = format!("SELECT name FROM {table} WHERE owner = $1 ORDER BY name");
            let names: Vec<String> = with_pool!(self, |p| {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(role).fetch_all(p).await?;
                rows.iter().map(|r| r.try_get("name")).collect::<Result<Vec<String>, _>>()?
            });
            owned.extend(names.into_iter().map(|n| (kind, n)));
        }
        Ok(owned)
    }

    /// Grants every privilege of `grants` in one transaction (an existing grant keeps its
    /// grant option or gains it), one event each.
    pub async fn grant_privileges(&self, grants: &[NewGrant<'_>], actor: &str) -> StoreResult<()> {
        let now = now_micros();
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            for g in grants {
                sqlx::query(
                    "INSERT INTO grants (object_kind, object_name, grantee, privilege, grant_option, grantor, granted_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (object_kind, object_name, grantee, privilege) \
                     DO UPDATE SET grant_option = grants.grant_option OR excluded.grant_option",
                )
                .bind(g.kind.as_str())
                .bind(g.object)
                .bind(g.grantee)
                .bind(g.privilege.as_str())
                .bind(g.grant_option)
                .bind(actor)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let option = if g.grant_option { " WITH GRANT OPTION" } else { "" };
                let detail = format!("{} TO {}{option}", g.privilege, g.grantee);
                Event {
                    actor,
                    action: "grant",
                    object_kind: g.kind.as_str(),
                    object_name: g.object,
                    detail: Some(&detail),
                }
                .record(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }

    /// Takes the grant option away from each grant of `options` and revokes each grant of
    /// `grants`, in one transaction; returns how many grants it changed.
    pub async fn revoke_privileges(
        &self,
        options: &[NewGrant<'_>],
        grants: &[NewGrant<'_>],
        actor: &str,
    ) -> StoreResult<u64> {
        const CLEAR_OPTION: &str = "UPDATE grants SET grant_option = FALSE \
             WHERE object_kind = $1 AND object_name = $2 AND grantee = $3 AND privilege = $4 AND grant_option";
        const DELETE: &str = "DELETE FROM grants WHERE object_kind = $1 AND object_name = $2 AND grantee = $3 AND privilege = $4";
        let work = options.iter().map(|g| (g, true)).chain(grants.iter().map(|g| (g, false)));
        let mut changed = 0;
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            for (g, option_only) in work.clone() {
                let n = sqlx::query(if option_only { CLEAR_OPTION } else { DELETE })
                    .bind(g.kind.as_str())
                    .bind(g.object)
                    .bind(g.grantee)
                    .bind(g.privilege.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n > 0 {
                    changed += n;
                    let what = if option_only { "GRANT OPTION FOR " } else { "" };
                    let detail = format!("{what}{} FROM {}", g.privilege, g.grantee);
                    Event {
                        actor,
                        action: "revoke",
                        object_kind: g.kind.as_str(),
                        object_name: g.object,
                        detail: Some(&detail),
                    }
                    .record(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(changed)
    }

    /// Makes `m.member` a member of `m.role` (or changes the options of its membership).
    pub async fn grant_membership(&self, m: &NewMembership<'_>, actor: &str) -> StoreResult<()> {
        let now = now_micros();
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let member_inherits: Option<bool> = sqlx::query("SELECT inherit FROM roles WHERE name = $1")
                .bind(m.member)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get("inherit"))
                .transpose()?;
            let Some(member_inherits) = member_inherits else {
                return Err(StoreError::NotFound { kind: "role", name: m.member.to_owned() });
            };
            sqlx::query(
                "INSERT INTO role_members (role, member, admin_option, inherit, grantor, granted_at) \
                 VALUES ($1, $2, COALESCE($3, FALSE), COALESCE($4, $5), $6, $7) \
                 ON CONFLICT (role, member) DO UPDATE SET \
                   admin_option = COALESCE($3, role_members.admin_option), \
                   inherit = COALESCE($4, role_members.inherit)",
            )
            .bind(m.role)
            .bind(m.member)
            .bind(m.admin_option)
            .bind(m.inherit)
            .bind(member_inherits)
            .bind(actor)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                    StoreError::NotFound { kind: "role", name: m.role.to_owned() }
                }
                other => StoreError::from(other),
            })?;
            let detail = format!("{} TO {}", m.role, m.member);
            Event { actor, action: "grant", object_kind: "role", object_name: m.role, detail: Some(&detail) }
                .record(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }

    /// Ends `member`'s membership of `role` (only its admin option when `admin_only`);
    /// returns whether there was one.
    pub async fn revoke_membership(
        &self,
        role: &str,
        member: &str,
        admin_only: bool,
        actor: &str,
    ) -> StoreResult<bool> {
        let sql = if admin_only {
            "UPDATE role_members SET admin_option = FALSE WHERE role = $1 AND member = $2"
        } else {
            "DELETE FROM role_members WHERE role = $1 AND member = $2"
        };
        let changed = with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query(sql).bind(role).bind(member).execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                let detail = format!("{role} FROM {member}");
                Event {
                    actor,
                    action: "revoke",
                    object_kind: "role",
                    object_name: role,
                    detail: Some(&detail),
                }
                .record(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            n > 0
        });
        self.bump_epoch();
        Ok(changed)
    }

    /// Makes `owner` the owner of `kind` `name`.
    pub async fn set_owner(&self, kind: ObjectKind, name: &str, owner: &str, actor: &str) -> StoreResult<()> {
        let Some(table) = kind.table() else {
            return Err(StoreError::NotFound { kind: kind.as_str(), name: name.to_owned() });
        };
        let sql = format!("UPDATE {table} SET owner = $2, updated_at = $3 WHERE name = $1");
        with_pool!(self, |p| {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(name)
                .bind(owner)
                .bind(now_micros())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound { kind: kind.as_str(), name: name.to_owned() });
            }
            let detail = format!("OWNER TO {owner}");
            Event {
                actor,
                action: "owner",
                object_kind: kind.as_str(),
                object_name: name,
                detail: Some(&detail),
            }
            .record(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        self.bump_epoch();
        Ok(())
    }
}

/// Removes the grants on `kind` `name` (which is being dropped) through `executor`.
pub(crate) async fn forget_object<'e, DB, E>(executor: E, kind: &str, name: &str) -> Result<(), sqlx::Error>
where
    DB: Database,
    E: Executor<'e, Database = DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> <DB as Database>::Arguments: sqlx::IntoArguments<DB>,
{
    sqlx::query::<DB>("DELETE FROM grants WHERE object_kind = $1 AND object_name = $2")
        .bind(kind)
        .bind(name)
        .execute(executor)
        .await?;
    Ok(())
}

/// The SQL that carries grants (and, for a role, what it owns and holds) over to a new
/// name; each statement binds `$1` old name, `$2` new name (and `$3` the kind for objects).
pub(crate) fn rename_statements(kind: &str) -> Vec<String> {
    if kind != "role" {
        return vec![
            "UPDATE grants SET object_name = $2 WHERE object_name = $1 AND object_kind = $3".to_owned(),
        ];
    }
    let mut sql = vec![
        "UPDATE grants SET grantee = $2 WHERE grantee = $1".to_owned(),
        "UPDATE grants SET grantor = $2 WHERE grantor = $1".to_owned(),
    ];
    sql.extend(
        ObjectKind::ALL
            .iter()
            .filter_map(|k| k.table())
            .map(|t| format!("UPDATE {t} SET owner = $2 WHERE owner = $1")),
    );
    sql
}
