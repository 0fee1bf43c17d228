"""The summary printed at the end (and written with --json)."""


def print_summary(summary):
    print("\n===== chaos summary =====")
    print(f"seed {summary['seed']}, elapsed {summary['elapsed_seconds']}s, workdir {summary['workdir']}")
    for a in summary["part_a"]:
        print(f"\nPart A on {a['store']} ({a.get('seconds', '?')}s):")
        print(f"  statements {a['statements']}, succeeded {a['succeeded']}, "
              f"failed {sum(a['failed_by_class'].values())}, in flight at kill {a['in_flight_at_kill']}")
        print(f"  failed by class: {dict(sorted(a['failed_by_class'].items()))}")
        print(f"  failed by SQLSTATE: {dict(sorted(a['failed_by_sqlstate'].items()))}")
        print(f"  kills {a['kills']} (during start-up {a['kills_during_start']}), rounds {a['rounds']} "
              f"(concurrent {a['concurrent_rounds']}, synchronized {a['synchronized_rounds']}), integrity checks {a['integrity_checks']}, "
              f"ambiguous facts explained {a['ambiguous_facts_explained']}")
        _list("inconsistencies", a["inconsistencies"])
        _list("other findings", a["findings"])
    if summary.get("part_b"):
        b = summary["part_b"]
        print(f"\nPart B (metadata PostgreSQL restarted under load, {b.get('seconds', '?')}s):")
        for k in ("statements", "succeeded", "errors_by_sqlstate", "restarts", "recovery_seconds",
                  "gateway_pid_unchanged", "durable_checked"):
            print(f"  {k}: {b.get(k)}")
        for line in b.get("timeline", []):
            print(f"  timeline: {line}")
        _list("inconsistencies", b["inconsistencies"])
        _list("findings", b["findings"])
    if summary.get("part_c"):
        c = summary["part_c"]
        print(f"\nPart C (source stopped during a local run, {c.get('seconds', '?')}s):")
        for k in ("rows", "first_run", "source_scans_first_run", "start_error", "deployment_state",
                  "last_error", "sinks_unchanged", "after_recovery"):
            print(f"  {k}: {c.get(k)}")
        _list("findings", c["findings"])
    total = count_found(summary)
    print(f"\nTOTAL inconsistencies and findings: {total} (goal 0)")


def _list(title, items):
    print(f"  {title}: {len(items)}")
    for item in items[:40]:
        print(f"    - {item}")
    if len(items) > 40:
        print(f"    … and {len(items) - 40} more (see --json)")


def count_found(summary):
    n = 0
    for a in summary["part_a"]:
        n += len(a["inconsistencies"]) + len([f for f in a["findings"] if not f.startswith("stopped by")])
    for part in ("part_b", "part_c"):
        p = summary.get(part)
        if p:
            n += len(p.get("inconsistencies", [])) + len(p.get("findings", []))
    return n


def exit_code(summary):
    return 1 if count_found(summary) else 0
