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
//! Creating targets is no privilege on an object: it comes with membership (with inherit)
//! in the predefined role [`CREATE_TARGET_ROLE`]. A REVOKE that would leave grants made
//! with the revoked grant option behind finds them with [`dependent_grants`].
//!
//! This module is pure: the store loads an [`Access`] (`Store::access`), the gateway asks it.

use std::collections::BTreeSet;
use std::fmt;

/// The grantee that stands for every role (`GRANT … TO PUBLIC`).
pub const PUBLIC: &str = "public";

/// The one database a gateway has (`GRANT CREATE ON DATABASE sluice`).
pub const DATABASE: &str = "sluice";

/// The predefined role whose members may create targets (`GRANT sluice_create_target TO
/// alice`), as PostgreSQL's `pg_create_subscription` lets its members create subscriptions:
/// a target runs jobs with the gateway's credentials, so CREATE ON DATABASE does not cover it.
pub const CREATE_TARGET_ROLE: &str = "sluice_create_target";

/// Role names a user may not create or rename to: `public`, and the `sluice_` prefix the
/// gateway keeps for its predefined roles (as PostgreSQL keeps `pg_`).
pub fn is_reserved_role_name(name: &str) -> bool {
    name == PUBLIC || name.starts_with("sluice_")
}

/// The predefined roles (created by the catalog's migrations, never dropped or altered).
pub fn is_predefined_role(name: &str) -> bool {
    name == CREATE_TARGET_ROLE
}

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

    /// Whether the role may create targets: a superuser, or one with the privileges of
    /// [`CREATE_TARGET_ROLE`].
    pub fn may_create_targets(&self) -> bool {
        self.superuser || self.privileged_as.contains(CREATE_TARGET_ROLE)
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

/// What a revocation does to the grants of one object: `revoked` names (grantee,
/// privilege) pairs losing the privilege (or only its grant option when `option_only`).
/// Returns the grants that would be left *dependent* — made by a grantor who no longer
/// holds the grant option for them — transitively, as PostgreSQL's REVOKE finds them
/// (it refuses with "dependent privileges exist" unless CASCADE revokes them too).
///
/// `grantors` says, for each grantor, whether it may grant regardless of grants (it owns
/// the object or is a superuser) and whose grants it holds options through (itself, the
/// roles it inherits from, `public`); a grantor missing from it is left alone.
pub fn dependent_grants(
    on_object: &[GrantRecord],
    revoked: &[(String, Privilege)],
    option_only: bool,
    grantors: &std::collections::HashMap<String, Grantor>,
) -> Vec<GrantRecord> {
    let hit = |g: &GrantRecord| revoked.iter().any(|(grantee, p)| *grantee == g.grantee && *p == g.privilege);
    let mut remaining: Vec<GrantRecord> = on_object
        .iter()
        .filter(|g| option_only || !hit(g))
        .map(|g| GrantRecord { grant_option: g.grant_option && !(option_only && hit(g)), ..g.clone() })
        .collect();
    let mut dependents = Vec::new();
    while let Some(i) = remaining.iter().position(|g| {
        let Some(grantor) = grantors.get(&g.grantor) else { return false };
        let givers = g.privilege.given_by(g.kind);
        !grantor.independent
            && !remaining.iter().any(|h| {
                h.grant_option && grantor.privileged_as.contains(&h.grantee) && givers.contains(&h.privilege)
            })
    }) {
        dependents.push(remaining.remove(i));
    }
    dependents
}

/// A grantor as [`dependent_grants`] sees it.
#[derive(Debug, Clone, Default)]
pub struct Grantor {
    /// Owns the object (or is a superuser): its grants never depend on others'.
    pub independent: bool,
    /// Whose grant options it has: itself, the roles it inherits from, `public`.
    pub privileged_as: BTreeSet<String>,
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
        assert!(root.may_create_targets() && !bob.may_create_targets());
    }

    #[test]
    fn creating_targets_comes_with_the_predefined_role_when_inherited() {
        let inheriting = [member(CREATE_TARGET_ROLE, "ops", true), member("ops", "dana", true)];
        assert!(Access::resolve("dana", false, &inheriting, Vec::new()).may_create_targets());
        let not = [member(CREATE_TARGET_ROLE, "erin", false)];
        assert!(!Access::resolve("erin", false, &not, Vec::new()).may_create_targets());
        assert!(is_reserved_role_name("sluice_anything") && is_reserved_role_name(PUBLIC));
        assert!(!is_reserved_role_name("sluice") && !is_reserved_role_name("analyst"));
    }

    fn grantor(name: &str) -> (String, Grantor) {
        let privileged_as = BTreeSet::from([name.to_owned(), PUBLIC.to_owned()]);
        (name.to_owned(), Grantor { independent: name == "root", privileged_as })
    }

    #[test]
    fn revoking_a_grant_option_finds_the_grants_made_with_it_transitively() {
        let with_option = |grantee: &str, grantor: &str| GrantRecord {
            grant_option: true,
            grantor: grantor.into(),
            ..grant(ObjectKind::Source, "prod", grantee, Privilege::Usage)
        };
        let mut dave = grant(ObjectKind::Source, "prod", "dave", Privilege::Select);
        dave.grantor = "carol".into();
        let grants = vec![with_option("bob", "root"), with_option("carol", "bob"), dave];
        let grantors = [grantor("root"), grantor("bob"), grantor("carol")].into_iter().collect();
        let revoked = [("bob".to_owned(), Privilege::Usage)];
        let names = |d: Vec<GrantRecord>| d.into_iter().map(|g| g.grantee).collect::<Vec<_>>();
        assert_eq!(names(dependent_grants(&grants, &revoked, false, &grantors)), ["carol", "dave"]);
        assert_eq!(names(dependent_grants(&grants, &revoked, true, &grantors)), ["carol", "dave"]);
        let revoked = [("dave".to_owned(), Privilege::Select)];
        assert!(dependent_grants(&grants, &revoked, false, &grantors).is_empty());
        // A grantor whose option for SELECT comes from another grant keeps its SELECT grants.
        let mut bob_select = with_option("bob", "root");
        bob_select.privilege = Privilege::Select;
        let mut erin = grant(ObjectKind::Source, "prod", "erin", Privilege::Select);
        erin.grantor = "bob".into();
        let grants = vec![with_option("bob", "root"), bob_select, with_option("carol", "bob"), erin];
        let revoked = [("bob".to_owned(), Privilege::Usage)];
        assert_eq!(names(dependent_grants(&grants, &revoked, false, &grantors)), ["carol"]);
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
