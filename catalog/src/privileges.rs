//! Privileges, as PostgreSQL has them, over Sluice's objects.
//!
//! Every object has an owner (its creator, or whom `ALTER … OWNER TO` names). A role may
//! do anything to what it owns, and what it holds a privilege for; superusers bypass every
//! check. A role has the privileges of the roles it is a member of *with inherit*
//! (transitively), and of `public`. Which privileges each kind of object has:
//!
//! | kind       | privileges        | what they allow                                        |
//! |------------|-------------------|--------------------------------------------------------|
//! | `database` | `CREATE`          | create sources, secrets, tables, pipelines, syncs, schedules |
//! | `source`   | `SELECT`, `USAGE` | SELECT: live reads, PREVIEW, SHOW TABLES, DESCRIBE, TEST, REFRESH; USAGE: also a pipeline's or sync's source or sink |
//! | `secret`   | `USAGE`           | name it in CREATE/ALTER SOURCE or a target             |
//! | `target`   | `USAGE`           | START/STOP/RESUME pipelines there, TEST TARGET         |
//! | `pipeline` | `OPERATE`         | START/STOP/SUSPEND/RESUME/PREVIEW it                    |
//! | `schedule` | `OPERATE`         | PAUSE/RESUME/RUN it                                    |
//! | `sync`     | —                 | (owner only)                                           |
//!
//! This module is pure: the store loads an [`Access`] (`Store::access`), the gateway asks it.

use std::collections::BTreeSet;
use std::fmt;

/// The grantee that stands for every role (`GRANT … TO PUBLIC`).
pub const PUBLIC: &str = "public";

/// The one database a gateway has (`GRANT CREATE ON DATABASE sluice`).
pub const DATABASE: &str = "sluice";

/// A kind of object privileges apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    Database,
    Source,
    Secret,
    Target,
    Pipeline,
    Schedule,
    Sync,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 7] = [
        ObjectKind::Database,
        ObjectKind::Source,
        ObjectKind::Secret,
        ObjectKind::Target,
        ObjectKind::Pipeline,
        ObjectKind::Schedule,
        ObjectKind::Sync,
    ];

    /// The kind's name in the catalog and in messages (`source`).
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Database => "database",
            ObjectKind::Source => "source",
            ObjectKind::Secret => "secret",
            ObjectKind::Target => "target",
            ObjectKind::Pipeline => "pipeline",
            ObjectKind::Schedule => "schedule",
            ObjectKind::Sync => "sync",
        }
    }

    /// The kind a keyword names (`SOURCE`, any case).
    pub fn parse(word: &str) -> Option<ObjectKind> {
        ObjectKind::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(word))
    }

    /// The privileges objects of this kind have (what `ALL` means for them).
    pub fn privileges(self) -> &'static [Privilege] {
        match self {
            ObjectKind::Database => &[Privilege::Create],
            ObjectKind::Source => &[Privilege::Select, Privilege::Usage],
            ObjectKind::Secret | ObjectKind::Target => &[Privilege::Usage],
            ObjectKind::Pipeline | ObjectKind::Schedule => &[Privilege::Operate],
            ObjectKind::Sync => &[],
        }
    }

    /// The catalog table holding objects of this kind and their owners (none for the
    /// database, which superusers own).
    pub fn table(self) -> Option<&'static str> {
        match self {
            ObjectKind::Database => None,
            ObjectKind::Source => Some("sources"),
            ObjectKind::Secret => Some("secrets"),
            ObjectKind::Target => Some("targets"),
            ObjectKind::Pipeline => Some("pipelines"),
            ObjectKind::Schedule => Some("schedules"),
            ObjectKind::Sync => Some("syncs"),
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str().to_ascii_uppercase())
    }
}

/// A privilege on an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Privilege {
    Create,
    Select,
    Usage,
    Operate,
}

impl Privilege {
    pub fn as_str(self) -> &'static str {
        match self {
            Privilege::Create => "CREATE",
            Privilege::Select => "SELECT",
            Privilege::Usage => "USAGE",
            Privilege::Operate => "OPERATE",
        }
    }

    pub fn parse(word: &str) -> Option<Privilege> {
        [Privilege::Create, Privilege::Select, Privilege::Usage, Privilege::Operate]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(word))
    }

    /// The privileges that also give this one: USAGE on a source includes SELECT.
    fn given_by(self, kind: ObjectKind) -> &'static [Privilege] {
        match (self, kind) {
            (Privilege::Select, ObjectKind::Source) => &[Privilege::Select, Privilege::Usage],
            (Privilege::Create, _) => &[Privilege::Create],
            (Privilege::Select, _) => &[Privilege::Select],
            (Privilege::Usage, _) => &[Privilege::Usage],
            (Privilege::Operate, _) => &[Privilege::Operate],
        }
    }

    /// The one-letter code `aclitem` text uses (`r` SELECT, `U` USAGE, `C` CREATE), and
    /// `o` for OPERATE, which PostgreSQL has not.
    pub fn acl_letter(self) -> char {
        match self {
            Privilege::Create => 'C',
            Privilege::Select => 'r',
            Privilege::Usage => 'U',
            Privilege::Operate => 'o',
        }
    }
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One privilege on one object held by one grantee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRecord {
    pub kind: ObjectKind,
    pub object: String,
    pub grantee: String,
    pub privilege: Privilege,
    pub grant_option: bool,
    pub grantor: String,
    pub granted_at: i64,
}

/// `member` is a member of `role`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub role: String,
    pub member: String,
    /// May grant `role` to others.
    pub admin_option: bool,
    /// Has `role`'s privileges without SET ROLE.
    pub inherit: bool,
    pub grantor: String,
    pub granted_at: i64,
}

/// What one role may do: who it is, whose privileges it has, and those privileges.
#[derive(Debug, Clone)]
pub struct Access {
    pub role: String,
    pub superuser: bool,
    /// The role itself, the roles it inherits from (transitively), and `public`.
    pub privileged_as: BTreeSet<String>,
    /// Every role it is a member of, inheriting or not (and itself): whom it may make an
    /// object's owner.
    pub member_of: BTreeSet<String>,
    /// Roles it may grant (ADMIN OPTION on a membership it has the privileges of).
    pub admin_of: BTreeSet<String>,
    /// The grants held by any role in `privileged_as`.
    pub grants: Vec<GrantRecord>,
}

impl Access {
    /// The access of `role` given every membership and grant.
    pub fn resolve(
        role: &str,
        superuser: bool,
        memberships: &[Membership],
        grants: Vec<GrantRecord>,
    ) -> Access {
        let privileged_as = closure(role, memberships, true);
        let member_of = closure(role, memberships, false);
        let admin_of = memberships
            .iter()
            .filter(|m| m.admin_option && privileged_as.contains(&m.member))
            .map(|m| m.role.clone())
            .collect();
        let mut privileged_as = privileged_as;
        privileged_as.insert(PUBLIC.to_owned());
        let grants = grants.into_iter().filter(|g| privileged_as.contains(&g.grantee)).collect();
        Access { role: role.to_owned(), superuser, privileged_as, member_of, admin_of, grants }
    }

    /// Whether the role has the rights of `owner` (is it, or inherits from it).
    pub fn owns(&self, owner: Option<&str>) -> bool {
        self.superuser || owner.is_some_and(|o| o != PUBLIC && self.privileged_as.contains(o))
    }

    /// Whether the role has `privilege` on `kind` `name`, owned by `owner`.
    pub fn has(&self, kind: ObjectKind, name: &str, owner: Option<&str>, privilege: Privilege) -> bool {
        self.owns(owner) || self.held(kind, name, privilege).next().is_some()
    }

    /// Whether the role may grant `privilege` on the object to others.
    pub fn may_grant(&self, kind: ObjectKind, name: &str, owner: Option<&str>, privilege: Privilege) -> bool {
        self.owns(owner) || self.held(kind, name, privilege).any(|g| g.grant_option)
    }

    /// The grants giving `privilege` on the object.
    fn held(&self, kind: ObjectKind, name: &str, privilege: Privilege) -> impl Iterator<Item = &GrantRecord> {
        let givers = privilege.given_by(kind);
        self.grants
            .iter()
            .filter(move |g| g.kind == kind && g.object == name && givers.contains(&g.privilege))
    }
}

/// `role` and the roles it reaches through memberships (only inheriting ones when
/// `inheriting`).
fn closure(role: &str, memberships: &[Membership], inheriting: bool) -> BTreeSet<String> {
    let mut reached = BTreeSet::from([role.to_owned()]);
    let mut frontier = vec![role.to_owned()];
    while let Some(next) = frontier.pop() {
        for m in memberships.iter().filter(|m| m.member == next && (m.inherit || !inheriting)) {
            if reached.insert(m.role.clone()) {
                frontier.push(m.role.clone());
            }
        }
    }
    reached
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: &str, member: &str, inherit: bool) -> Membership {
        Membership {
            role: role.into(),
            member: member.into(),
            admin_option: false,
            inherit,
            grantor: "root".into(),
            granted_at: 0,
        }
    }

    fn grant(kind: ObjectKind, object: &str, grantee: &str, privilege: Privilege) -> GrantRecord {
        GrantRecord {
            kind,
            object: object.into(),
            grantee: grantee.into(),
            privilege,
            grant_option: false,
            grantor: "root".into(),
            granted_at: 0,
        }
    }

    #[test]
    fn privileges_come_through_inheriting_memberships_and_public() {
        let memberships =
            [member("team", "alice", true), member("ops", "team", true), member("audit", "alice", false)];
        let grants = vec![
            grant(ObjectKind::Source, "prod", "ops", Privilege::Usage),
            grant(ObjectKind::Source, "logs", "audit", Privilege::Select),
            grant(ObjectKind::Target, "flink", PUBLIC, Privilege::Usage),
            grant(ObjectKind::Source, "hr", "bob", Privilege::Select),
        ];
        let alice = Access::resolve("alice", false, &memberships, grants);
        assert!(alice.has(ObjectKind::Source, "prod", None, Privilege::Usage));
        assert!(alice.has(ObjectKind::Source, "prod", None, Privilege::Select), "USAGE includes SELECT");
        assert!(!alice.has(ObjectKind::Source, "logs", None, Privilege::Select), "audit is NOINHERIT");
        assert!(alice.has(ObjectKind::Target, "flink", None, Privilege::Usage));
        assert!(!alice.has(ObjectKind::Source, "hr", None, Privilege::Select));
        assert!(alice.owns(Some("team")), "team's objects are alice's to change");
        assert!(!alice.owns(Some("audit")));
        assert!(alice.member_of.contains("audit"));
        assert!(!alice.may_grant(ObjectKind::Source, "prod", None, Privilege::Usage));
    }

    #[test]
    fn superusers_and_owners_have_every_privilege() {
        let root = Access::resolve("root", true, &[], Vec::new());
        assert!(root.has(ObjectKind::Database, DATABASE, None, Privilege::Create));
        let bob = Access::resolve("bob", false, &[], Vec::new());
        assert!(bob.has(ObjectKind::Pipeline, "p", Some("bob"), Privilege::Operate));
        assert!(bob.may_grant(ObjectKind::Pipeline, "p", Some("bob"), Privilege::Operate));
        assert!(!bob.has(ObjectKind::Database, DATABASE, None, Privilege::Create));
    }

    #[test]
    fn grant_option_is_needed_to_grant() {
        let mut g = grant(ObjectKind::Source, "prod", "carol", Privilege::Usage);
        g.grant_option = true;
        let carol = Access::resolve("carol", false, &[], vec![g]);
        assert!(carol.may_grant(ObjectKind::Source, "prod", None, Privilege::Usage));
        assert!(carol.may_grant(ObjectKind::Source, "prod", None, Privilege::Select));
        assert!(!carol.may_grant(ObjectKind::Source, "other", None, Privilege::Usage));
    }
}
