#!/usr/bin/env python3
"""Sluice fault injection (issue 20, item 11), bounded in count and time, loopback only.

  A  random DDL with SIGKILLs of the gateway and restarts, on SQLite and on PostgreSQL
     metadata; durability and integrity checks against the store itself
  B  the metadata PostgreSQL (a private instance) restarted under load
  C  a source PostgreSQL (a private instance) stopped during a local batch run

Run it with the repository's virtualenv (scripts/chaos.sh does). The gateway binary must
be built (target/debug/sluice by default). Exit status 1 when anything was found.
The helpers live in scripts/chaos-lib/."""

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts", "chaos-lib"))

from part_a import StoreRun  # noqa: E402
from part_b import run_part_b  # noqa: E402
from part_c import run_part_c  # noqa: E402
from summary import exit_code, print_summary  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=None, help="random seed (printed; default: from the clock)")
    p.add_argument("--statements", type=int, default=1000, help="DDL statements per store in part A")
    p.add_argument("--max-seconds", type=float, default=300, help="time bound of part A per store")
    p.add_argument("--stores", default="sqlite,postgres", help="part A's stores: sqlite,postgres")
    p.add_argument("--parts", default="A,B,C", help="which parts to run")
    p.add_argument("--kill-rate", type=float, default=0.9, help="share of part A rounds that end in a kill")
    p.add_argument("--kill-during-start-rate", type=float, default=0.1, help="share of restarts killed again")
    p.add_argument("--check-every", type=int, default=4, help="full integrity check every N kills")
    p.add_argument("--b-seconds", type=float, default=60, help="length of part B's load")
    p.add_argument("--c-rows", type=int, default=2_000_000, help="rows of part C's source table")
    p.add_argument("--binary", default=os.path.join(ROOT, "target", "debug", "sluice"))
    p.add_argument("--workdir", default=None, help="keep everything here (default: a temp dir, removed)")
    p.add_argument("--keep", action="store_true", help="keep the temp dir and databases")
    p.add_argument("--json", default=None, help="write the summary to this file")
    p.add_argument("--verbose", "-v", action="store_true")
    return p.parse_args(argv)


def guarded(fn, partial=None):
    """`fn()`, or what it got to with the crash as a finding (the script's own bug or a
    gateway that would not start)."""
    try:
        return fn()
    except Exception:
        out = partial if partial is not None else {"inconsistencies": []}
        out.setdefault("findings", []).append("the part stopped with an error: " + traceback.format_exc())
        print(out["findings"][-1])
        return out


def main(argv):
    args = parse_args(argv)
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"chaos: no gateway binary at {args.binary} (cargo build first)")
    seed = args.seed if args.seed is not None else int(time.time() * 1000) % 2**31
    print(f"chaos: seed {seed} (rerun with --seed {seed})")
    workdir = args.workdir or tempfile.mkdtemp(prefix="sluice-chaos-")
    os.makedirs(workdir, exist_ok=True)
    os.chmod(workdir, 0o755)
    started = time.monotonic()
    summary = {"seed": seed, "workdir": workdir, "part_a": [], "part_b": None, "part_c": None}
    parts = {x.strip().upper() for x in args.parts.split(",")}
    try:
        if "A" in parts:
            for backend in [s.strip() for s in args.stores.split(",") if s.strip()]:
                print(f"chaos: part A on {backend}: {args.statements} statements, at most {args.max_seconds:.0f}s")
                run = StoreRun(args, random.Random(f"{seed}-{backend}"), backend, os.path.join(workdir, f"a-{backend}"))
                summary["part_a"].append(guarded(run.run, run.stats))
        if "B" in parts:
            print(f"chaos: part B: metadata PostgreSQL restarted under load ({args.b_seconds:.0f}s)")
            summary["part_b"] = guarded(lambda: run_part_b(args, random.Random(f"{seed}-B"), os.path.join(workdir, "b")))
        if "C" in parts:
            print(f"chaos: part C: source PostgreSQL stopped during a local run ({args.c_rows} rows)")
            summary["part_c"] = guarded(lambda: run_part_c(args, random.Random(f"{seed}-C"), os.path.join(workdir, "c")))
    finally:
        summary["elapsed_seconds"] = round(time.monotonic() - started, 1)
        print_summary(summary)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(summary, f, indent=2, default=str)
        code = exit_code(summary)
        if not args.keep and not args.workdir and code == 0:
            shutil.rmtree(workdir, ignore_errors=True)
        elif code:
            print(f"chaos: kept {workdir} (gateway and PostgreSQL logs)")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
