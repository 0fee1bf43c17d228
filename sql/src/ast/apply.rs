//! Declarative scripts: what applying a set of CREATE and GRANT statements would change,
//! and applying it.

use std::fmt;

use super::write_literal;

/// ```text
/// EXPLAIN APPLY 'script' [ PRUNE ]
/// APPLY 'script' [ PRUNE ] [ ALLOW RESTART ]
/// ```
///
/// `script` (usually dollar-quoted: `$$ … $$`) holds declarations only — CREATE of any
/// kind, GRANT, `ALTER … OWNER TO`, PAUSE SCHEDULE. EXPLAIN APPLY compares each object it
/// declares with the catalog and returns one row per object: kind, name, action (`create`,
/// `alter` in place, `replace`, `unchanged`), whether a running deployment would restart,
/// and a unified diff of its SHOW CREATE script. APPLY makes those changes, in dependency
/// order (roles, secrets, sources, tables, targets, pipelines, syncs, schedules, then
/// owners and grants); a change that restarts a running pipeline is refused unless
/// `ALLOW RESTART`. `PRUNE` also drops the objects of the kinds the script declares that
/// it does not declare (`drop`; never roles), after everything else and in reverse order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Apply {
    pub script: String,
    /// EXPLAIN APPLY: only the plan.
    pub explain: bool,
    pub prune: bool,
    pub allow_restart: bool,
}

impl fmt::Display for Apply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.explain {
            f.write_str("EXPLAIN ")?;
        }
        f.write_str("APPLY ")?;
        write_literal(f, &self.script)?;
        if self.prune {
            f.write_str(" PRUNE")?;
        }
        if self.allow_restart {
            f.write_str(" ALLOW RESTART")?;
        }
        Ok(())
    }
}
