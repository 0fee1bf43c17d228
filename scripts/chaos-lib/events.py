"""Replaying `events` (in id order) into the objects they say exist, as the store writes
them (catalog/src/store): every change is recorded in its own transaction, so replaying
the lifecycle events must give back exactly what the store holds.

  create / bootstrap   the object exists, owned by the event's actor (pipelines: version 1)
  replace              an existing object keeps its owner (a schedule is its replacer's);
                       CREATE OR REPLACE SOURCE/SECRET of a new name records 'replace' too
  alter                a pipeline's detail is its new version ("version N")
  rename               object_name is the new name, detail "renamed from OLD"; a source's
                       declared tables and grants follow it, a role's grants and ownerships
  drop                 the object, its grants (a source: its declared tables, which have no
                       events of their own then), a role: the grants it held
  grant / revoke       detail "PRIV TO grantee" / "[GRANT OPTION FOR ]PRIV FROM grantee"
  owner                detail "OWNER TO role"

Built-in objects made without an event are seeded: the target `local` (with its PUBLIC
USAGE) and the predefined role `sluice_create_target`."""

OWNED = ("source", "secret", "target", "pipeline", "schedule", "sync")


def replay(rows):
    """The objects the events say exist, and the events that name an object or role that
    did not exist at that point of the log (a grant or owner change racing a drop or
    rename: recorded, but left out of the replay)."""
    objs, dangling = seed(rows), []
    for e in rows["events"]:
        missing = _missing(objs, e)
        if missing:
            dangling.append((e, missing))
            continue
        handler = HANDLERS.get(e["action"])
        if handler:
            handler(objs, e)
    return objs, dangling


def _missing(objs, e):
    """What a grant or owner event names that the replay does not have at that point."""
    if e["action"] not in ("grant", "owner") or e["object_kind"] in ("role", "database"):
        return None
    if (e["object_kind"], e["object_name"]) not in objs:
        return f"{e['object_kind']} {e['object_name']} did not exist"
    if e["action"] == "grant":
        grantee = _grant_parts(e, "TO")[0][3]
    else:
        grantee = (e["detail"] or "").removeprefix("OWNER TO ")
    if grantee != "public" and ("role", grantee) not in objs:
        return f"role {grantee} did not exist"
    return None


def seed(rows):
    objs = {}
    for r in rows["targets"]:
        if r["name"] == "local":
            objs[("target", "local")] = ("owner", r["owner"])
            objs[("grant", "target", "local", "public", "USAGE")] = "exists"
    objs[("role", "sluice_create_target")] = "exists"
    return objs


def _key(e):
    kind, name = e["object_kind"], e["object_name"]
    if kind == "table":
        source, _, rest = name.partition(".")
        database, _, table = rest.rpartition(".")
        return ("table", source, database, table)
    return (kind, name)


def _version(e):
    detail = e["detail"] or ""
    return int(detail.split()[-1]) if detail.startswith("version ") else None


def _value(e, key, owner):
    if key[0] in ("table", "role"):
        return "exists"
    if key[0] == "pipeline":
        return ("owner", owner, "version", _version(e))
    return ("owner", owner)


def on_create(objs, e):
    key = _key(e)
    if key[0] in OWNED or key[0] in ("table", "role"):
        objs[key] = _value(e, key, e["actor"])


def on_replace(objs, e):
    key = _key(e)
    if key not in objs or key[0] == "schedule":
        return on_create(objs, e)
    if key[0] == "pipeline":
        objs[key] = _value(e, key, objs[key][1])


def on_alter(objs, e):
    key = _key(e)
    if key[0] == "pipeline" and key in objs:
        objs[key] = _value(e, key, objs[key][1])


def on_rename(objs, e):
    kind, new = e["object_kind"], e["object_name"]
    old = (e["detail"] or "").removeprefix("renamed from ")
    if (kind, old) in objs:
        objs[(kind, new)] = objs.pop((kind, old))
    for k in list(objs):
        if kind == "source" and k[0] == "table" and k[1] == old:
            objs[("table", new) + k[2:]] = objs.pop(k)
        elif k[0] == "grant" and kind != "role" and k[1] == kind and k[2] == old:
            objs[("grant", kind, new) + k[3:]] = objs.pop(k)
        elif k[0] == "grant" and kind == "role" and k[3] == old:
            objs[k[:3] + (new, k[4])] = objs.pop(k)
    if kind == "role":
        for k, v in list(objs.items()):
            if isinstance(v, tuple) and v[1] == old:
                objs[k] = (v[0], new) + v[2:]


def on_drop(objs, e):
    key = _key(e)
    objs.pop(key, None)
    for k in list(objs):
        if k[0] == "grant" and key[0] != "role" and k[1:3] == key:
            del objs[k]
        elif k[0] == "grant" and key[0] == "role" and k[3] == key[1]:
            del objs[k]
        elif key[0] == "source" and k[0] == "table" and k[1] == key[1]:
            del objs[k]


def _grant_parts(e, word):
    detail = e["detail"] or ""
    option_only = detail.startswith("GRANT OPTION FOR ")
    priv, _, grantee = detail.removeprefix("GRANT OPTION FOR ").partition(f" {word} ")
    grantee = grantee.removesuffix(" WITH GRANT OPTION")
    return ("grant", e["object_kind"], e["object_name"], grantee, priv), option_only


def on_grant(objs, e):
    if e["object_kind"] != "role":  # memberships are not replayed
        key, _ = _grant_parts(e, "TO")
        objs[key] = "exists"


def on_revoke(objs, e):
    if e["object_kind"] != "role":
        key, option_only = _grant_parts(e, "FROM")
        if not option_only:
            objs.pop(key, None)


def on_owner(objs, e):
    key = _key(e)
    owner = (e["detail"] or "").removeprefix("OWNER TO ")
    if key in objs:
        v = objs[key]
        objs[key] = (v[0], owner) + v[2:]


HANDLERS = {"create": on_create, "bootstrap": on_create, "replace": on_replace, "alter": on_alter,
            "rename": on_rename, "drop": on_drop, "grant": on_grant, "revoke": on_revoke,
            "owner": on_owner}
