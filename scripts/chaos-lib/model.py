"""The catalog as a set of facts, and what each generated statement does to it.

A fact is a key and a value:
  ('source', name) -> type                ('uses_secret', source, secret) -> True
  ('table', source, database, name) -> True   (declared tables only)
  ('pipeline', name) -> (version, sources, mode)
  ('secret', name) -> True                ('target', name) -> type
  ('schedule', name) -> pipelines         ('role', name) -> True
  ('member', role, member) -> True        ('grant', kind, object, grantee, privilege) -> True
  ('owner', kind, name) -> role

The facts of the store (read directly) are compared with the facts the model expects
after applying every statement the gateway acknowledged, in order."""

import copy

ACTOR = "sluice"


def facts_from_rows(rows):
    f = {}
    for r in rows["sources"]:
        f[("source", r["name"])] = r["type"]
    for r in rows["source_secrets"]:
        f[("uses_secret", r["source"], r["secret"])] = True
    for r in rows["tables"]:
        if r["kind"] == "declared":
            f[("table", r["source"], r["database"], r["name"])] = True
    uses = {}
    for r in rows["pipeline_sources"]:
        uses.setdefault(r["pipeline"], set()).add(r["source"])
    for r in rows["pipelines"]:
        f[("pipeline", r["name"])] = (int(r["version"]), tuple(sorted(uses.get(r["name"], ()))), r["mode"])
    for r in rows["secrets"]:
        f[("secret", r["name"])] = True
    for r in rows["targets"]:
        f[("target", r["name"])] = r["type"]
    tasks = {}
    for r in rows["schedule_tasks"]:
        tasks.setdefault(r["schedule"], set()).add(r["pipeline"])
    for r in rows["schedules"]:
        f[("schedule", r["name"])] = tuple(sorted(tasks.get(r["name"], ())))
    for r in rows["roles"]:
        f[("role", r["name"])] = True
    for r in rows["role_members"]:
        f[("member", r["role"], r["member"])] = True
    for r in rows["grants"]:
        f[("grant", r["object_kind"], r["object_name"], r["grantee"], r["privilege"])] = True
    for kind, table in (("source", "sources"), ("secret", "secrets"), ("target", "targets"),
                        ("pipeline", "pipelines"), ("schedule", "schedules"), ("sync", "syncs")):
        for r in rows[table]:
            f[("owner", kind, r["name"])] = r["owner"]
    return f


def names(facts, kind):
    return sorted(k[1] for k in facts if k[0] == kind)


def diff(a, b):
    """Keys whose values differ between fact sets `a` and `b`."""
    return {k for k in set(a) | set(b) if a.get(k) != b.get(k)}


def _drop_keys(f, pred):
    for k in [k for k in f if pred(k)]:
        del f[k]


def _forget(f, kind, name):
    """What a DROP of `kind` `name` removes besides the object: its grants and owner."""
    _drop_keys(f, lambda k: (k[0] == "grant" and k[1] == kind and k[2] == name)
               or (k[0] == "owner" and k[1] == kind and k[2] == name))


def _create(f, kind, name, value, mode):
    """CREATE [OR REPLACE | IF NOT EXISTS]: returns whether the object was (re)written."""
    key = (kind, name)
    if key in f and mode == "ine":
        return False
    if key not in f:
        f[("owner", kind, name)] = ACTOR
    f[key] = value
    return True


def apply(facts, stmt):
    """The facts after `stmt` succeeded (a new dict; `facts` is left alone). A statement
    whose object is not there changes nothing (it would have failed)."""
    f = copy.copy(facts)
    handler = globals().get("_op_" + stmt.op)
    try:
        if handler:
            handler(f, **stmt.args)
    except KeyError:
        return copy.copy(facts)
    return f


def _op_noop(f, **_):
    pass


def _op_create_source(f, name, type, secrets, mode):
    if _create(f, "source", name, type, mode):
        _drop_keys(f, lambda k: k[0] == "uses_secret" and k[1] == name)
        for s in secrets:
            f[("uses_secret", name, s)] = True


def _op_drop_source(f, name, cascade):
    # the store forgets the grants on the name even when there is no such source (IF EXISTS)
    _forget(f, "source", name)
    if ("source", name) not in f:
        return
    if cascade:
        for p in [k[1] for k, v in list(f.items()) if k[0] == "pipeline" and name in v[1]]:
            del f[("pipeline", p)]
            _forget(f, "pipeline", p)
    del f[("source", name)]
    _drop_keys(f, lambda k: k[0] in ("table", "uses_secret") and k[1] == name)
    _forget(f, "source", name)


def _op_rename_source(f, name, new):
    _rename_object(f, "source", name, new)
    for k in [k for k in f if k[0] in ("table", "uses_secret") and k[1] == name]:
        f[(k[0], new) + k[2:]] = f.pop(k)


def _rename_object(f, kind, name, new):
    f[(kind, new)] = f.pop((kind, name))
    for k in [k for k in f if k[0] in ("grant", "owner") and k[1] == kind and k[2] == name]:
        f[(k[0], kind, new) + k[3:]] = f.pop(k)


def _op_create_table(f, source, name, database=""):
    f[("table", source, database, name)] = True


def _op_drop_table(f, source, name, database=""):
    f.pop(("table", source, database, name), None)


def _op_create_pipeline(f, name, sources, mode, how):
    key = ("pipeline", name)
    if key in f and how == "ine":
        return
    version = f[key][0] + 1 if key in f else 1
    if key not in f:
        f[("owner", "pipeline", name)] = ACTOR
    f[key] = (version, tuple(sorted(sources)), mode)


def _op_alter_pipeline(f, name):
    version, sources, mode = f[("pipeline", name)]
    f[("pipeline", name)] = (version + 1, sources, mode)


def _op_drop_pipeline(f, name):
    if f.pop(("pipeline", name), None) is not None:
        _forget(f, "pipeline", name)


def _op_create_secret(f, name, mode):
    _create(f, "secret", name, True, mode)


def _op_drop_secret(f, name):
    f.pop(("secret", name), None)
    _forget(f, "secret", name)  # also when there is no such secret (IF EXISTS), as the store does


def _op_create_target(f, name, type, mode):
    _create(f, "target", name, type, mode)


def _op_drop_target(f, name):
    f.pop(("target", name), None)
    _forget(f, "target", name)  # also when there is no such target (IF EXISTS), as the store does


def _op_create_schedule(f, name, pipelines, mode):
    key = ("schedule", name)
    if key in f and mode == "ine":
        return
    f[key] = tuple(sorted(pipelines))
    f[("owner", "schedule", name)] = ACTOR  # a replaced schedule is its replacer's


def _op_drop_schedule(f, name):
    if f.pop(("schedule", name), None) is not None:
        _forget(f, "schedule", name)


def _op_create_role(f, name):
    f[("role", name)] = True


def _op_drop_role(f, name):
    if f.pop(("role", name), None) is None:
        return
    _drop_keys(f, lambda k: (k[0] == "grant" and k[3] == name)
               or (k[0] == "member" and name in (k[1], k[2])))


def _op_rename_role(f, name, new):
    f[("role", new)] = f.pop(("role", name))
    for k in [k for k in f if k[0] == "grant" and k[3] == name]:
        f[k[:3] + (new, k[4])] = f.pop(k)
    for k in [k for k in f if k[0] == "member" and name in (k[1], k[2])]:
        del f[k]
        f[("member",) + tuple(new if x == name else x for x in k[1:])] = True
    for k, v in list(f.items()):
        if k[0] == "owner" and v == name:
            f[k] = new


def _op_grant(f, kind, obj, grantee, priv):
    f[("grant", kind, obj, grantee, priv)] = True


def _op_revoke(f, kind, obj, grantee, priv):
    f.pop(("grant", kind, obj, grantee, priv), None)


def _op_grant_role(f, role, member):
    f[("member", role, member)] = True


def _op_revoke_role(f, role, member):
    f.pop(("member", role, member), None)


def _op_set_owner(f, kind, name, owner):
    f[("owner", kind, name)] = owner
