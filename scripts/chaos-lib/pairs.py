"""Conflicting partners: for a statement, another that works on one of the objects it names
in the opposite direction — a DROP or RENAME of what a CREATE/GRANT/ALTER refers to, or
a statement that refers to what a DROP removes. Synchronized rounds send such pairs from
two connections at the same instant, where check-then-write races show."""

import re

NAME = re.compile(r"\b[srpkfc]\d\b")

DESTROY = {
    "r": ["drop_role", "rename_role"], "s": ["drop_source", "rename_source"], "p": ["drop_pipeline"],
    "k": ["drop_secret"], "f": ["drop_target"], "c": ["drop_schedule"],
}
REFER = {
    "r": ["grant", "set_owner", "grant_role"], "s": ["grant", "create_table", "create_pipeline", "set_owner"],
    "p": ["create_schedule", "grant", "alter_pipeline", "set_owner"], "k": ["create_source", "grant", "set_owner"],
    "f": ["grant", "create_pipeline", "set_owner"], "c": ["grant", "set_owner"],
}


def partner(gen, facts, stmt):
    objects = NAME.findall(stmt.sql)
    if not objects:
        return gen.next(facts)
    name = gen.rng.choice(objects)
    destroys = stmt.op.startswith(("drop_", "rename_", "revoke"))
    op = gen.rng.choice((REFER if destroys else DESTROY)[name[0]])
    with gen.focused(name):
        return getattr(gen, "_" + op)(facts)
