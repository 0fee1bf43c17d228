#!/usr/bin/env python3
"""Writes the dialect fuzzer's seed inputs: every SQL block of README.md and of the shared
language reference (../shared/SQL.md when present), and every statement of the
sqllogictest files, one file each, into fuzz/seeds/dialect/. Deterministic: the same
documents give the same files."""
import hashlib
import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "fuzz" / "seeds" / "dialect"
out.mkdir(parents=True, exist_ok=True)
seeds = set()
for doc in [root / "README.md", root.parent / "shared" / "SQL.md"]:
    if doc.exists():
        for block in re.findall(r"```sql\n(.*?)```", doc.read_text(), re.S):
            seeds.add(block.strip())
for slt in sorted((root / "tests").rglob("*.slt")):
    for record in re.split(r"\n\s*\n", slt.read_text()):
        lines = record.strip().splitlines()
        if lines and lines[0].startswith(("statement", "query")):
            body = lines[1:]
            body = body[: body.index("----")] if "----" in body else body
            sql = "\n".join(line for line in body if not line.startswith("#")).strip()
            if sql:
                seeds.add(sql)
for old in out.glob("*.sql"):
    old.unlink()
for seed in sorted(seeds):
    name = hashlib.sha1(seed.encode()).hexdigest()[:12]
    (out / f"{name}.sql").write_text(seed + "\n")
print(f"{len(seeds)} seeds in {out.relative_to(root)}")
