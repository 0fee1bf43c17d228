"""After a round: the store's facts against the model's.

The model applies every acknowledged statement in the order the acknowledgements
arrived. A difference is explained only by genuine ambiguity: a statement in flight at
the kill (it may or may not have committed — but all of it or none of it), or two
acknowledged statements on the same fact whose executions overlapped in time (their
commit order is unknown). Anything else is an inconsistency: an acknowledged statement
lost (durability), a failed statement that changed something, or an object half made."""

from model import apply, diff


def _overlap(a, b):
    end_a = a.t_recv if a.t_recv is not None else float("inf")
    end_b = b.t_recv if b.t_recv is not None else float("inf")
    return a.t_send <= end_b and b.t_send <= end_a


def _describe(r):
    state = f" -> {r.sqlstate}" if r.sqlstate else ""
    return f"[{r.outcome}{state}] {r.stmt.sql}"


def _mentions(key, value, names):
    """Whether fact (key, value) names any of `names` (in its key, as its value, or as a
    pipeline's source or a schedule's task)."""
    parts = list(key[1:]) + [value]
    if isinstance(value, tuple):
        parts += [v for item in value for v in (item if isinstance(item, tuple) else (item,))]
    return any(p in names for p in parts if isinstance(p, str))


def _named(stmt, universe):
    """Every fact naming the statement's objects: two overlapping statements on one object
    may have run in either order, or interleaved (a check-then-write race, which the
    integrity check reports on its own)."""
    names = {v for k, v in stmt.args.items() if isinstance(v, str) and k in
             ("name", "new", "role", "member", "obj", "grantee")}
    return {k for k, v in universe.items() if _mentions(k, v, names)}


def footprints(base, results, store_facts=None):
    """The model after the acknowledged statements, and each statement's footprint: the
    facts it changes applied at the start, at its place, or at the end of the round, and
    every fact naming its objects."""
    ok = sorted((r for r in results if r.outcome == "ok"), key=lambda r: r.t_recv)
    model = base
    for r in ok:
        after = apply(model, r.stmt)
        r.foot = diff(model, after)
        model = after
    universe = {**base, **model, **(store_facts or {})}
    for r in results:
        if r.outcome in ("ok", "inflight", "fail"):
            r.foot = set(r.foot) | diff(base, apply(base, r.stmt)) | diff(model, apply(model, r.stmt))
            if r.outcome != "fail":
                r.foot |= _named(r.stmt, universe)
    return model


def reconcile(base, results, store_facts):
    """Returns (inconsistencies, explained): descriptions of what cannot be explained, and
    how many differing facts the ambiguity of the round explains."""
    model = footprints(base, results, store_facts)
    differing = diff(model, store_facts)
    if not differing:
        return [], 0
    ambiguous = [r for r in results if r.outcome == "inflight"]
    found, explained = [], 0
    if _one_inflight_whole(model, ambiguous, results, store_facts):
        return [], len(differing)
    for key in sorted(differing, key=repr):
        if _explained(key, results):
            explained += 1
            continue
        found.append(_unexplained(key, model, store_facts, results))
    found += _half_applied(model, ambiguous, results, differing)
    return found, explained


def _one_inflight_whole(model, ambiguous, results, store_facts):
    """One statement in flight, none overlapping: the store is the model with or without it."""
    acked = [r for r in results if r.outcome == "ok"]
    if len(ambiguous) != 1 or any(_overlap(a, b) for a in acked for b in acked if a is not b):
        return False
    return store_facts == apply(model, ambiguous[0].stmt)


def _explained(key, results):
    movers = [r for r in results if r.outcome in ("ok", "inflight") and key in r.foot]
    if any(r.outcome == "inflight" for r in movers):
        return True
    return any(_overlap(a, b) for i, a in enumerate(movers) for b in movers[i + 1:])


def _unexplained(key, model, store_facts, results):
    acked = [r for r in results if r.outcome == "ok" and key in r.foot]
    failed = [r for r in results if r.outcome == "fail" and key in r.foot]
    if failed and not acked:
        what = "a failed statement changed the catalog"
    elif acked:
        what = "an acknowledged statement's effect is missing or different"
    else:
        what = "the catalog changed without a statement doing it"
    blame = "; ".join(_describe(r) for r in (acked[-2:] + failed[-2:])) or "none"
    return (f"{what}: {key}: model expects {model.get(key)!r}, store has {store_facts.get(key)!r}; "
            f"statements: {blame}")


def _half_applied(model, ambiguous, results, differing):
    """A statement in flight committed all of its effects or none of them."""
    found = []
    others = [r for r in results if r.outcome in ("ok", "inflight")]
    for r in ambiguous:
        own = diff(model, apply(model, r.stmt))
        shared = set().union(*[o.foot for o in others if o is not r and _overlap(o, r)] or [set()])
        own -= shared
        done = own & differing
        if done and own - done:
            found.append(f"statement in flight at the kill half applied ({sorted(done, key=repr)} "
                         f"changed, {sorted(own - done, key=repr)} not): {r.stmt.sql}")
    return found
