//! `sluice plan PATH…` and `sluice apply PATH…`: SQL files (or directories of them) kept
//! in version control, compared with a running gateway's catalog and applied to it.
//!
//! The files are read and parsed here first, with Sluice's own parser (a syntax error
//! names its file and line before anything is sent); the gateway then plans them as one
//! script (`EXPLAIN APPLY`), and `apply` makes the changes (`APPLY`). An error the gateway
//! reports at a position is shown at its file and line. Exit codes, as Terraform's
//! `plan -detailed-exitcode`: 0 nothing to change, 2 changes pending (plan), 1 an error.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::{ClientError, ConnectArgs, Failure, Gateway};
use crate::sql::LineIndex;

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// .sql files, or directories searched for them (in path order)
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Also drop the objects of the kinds the files declare that no file declares
    #[arg(long)]
    pub prune: bool,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Apply without asking (for CI); otherwise apply asks on a terminal and refuses elsewhere
    #[arg(long)]
    pub auto_approve: bool,
    /// Let a change stop and start again a pipeline that is running
    #[arg(long)]
    pub allow_restart: bool,
}

/// What ended a plan or apply, for the exit code.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    NoChanges,
    /// Changes pending (plan) or made (apply).
    Changes,
}

/// The files as one script, and where each file's text starts in it.
pub struct Script {
    pub text: String,
    files: Vec<(PathBuf, usize)>,
}

impl Script {
    /// Reads `paths` (files, or directories searched for `.sql` files), each file parsed
    /// on its own first.
    pub fn read(paths: &[PathBuf]) -> Result<Script, ClientError> {
        let mut files = Vec::new();
        for path in paths {
            collect(path, &mut files)?;
        }
        let mut script = Script { text: String::new(), files: Vec::new() };
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| ClientError(format!("{}: {e}", file.display())))?;
            if let Err(e) = crate::sql::parse(&text) {
                let (line, column) = e.pos().map_or((1, 1), |p| (p.line, p.column));
                return Err(ClientError(format!(
                    "{}:{line}:{column}: {} (SQLSTATE 42601)",
                    file.display(),
                    e.message()
                )));
            }
            script.files.push((file, script.text.len()));
            script.text.push_str(&text);
            script.text.push_str("\n;\n");
        }
        Ok(script)
    }

    /// `file:line:column` of byte offset `offset` of the script.
    fn locate(&self, offset: usize) -> String {
        let Some((file, start)) = self.files.iter().rev().find(|(_, s)| *s <= offset) else {
            return "the files".to_owned();
        };
        let text = &self.text[*start..];
        let pos = LineIndex::new(text).pos(offset - start);
        format!("{}:{}:{}", file.display(), pos.line, pos.column)
    }

    /// `verb 'script'`, dollar-quoted with a tag the script does not hold.
    fn statement(&self, verb: &str) -> (String, usize) {
        let mut n = 0;
        let tag = loop {
            let tag = format!("$sluice{n}$");
            if !self.text.contains(&tag) {
                break tag;
            }
            n += 1;
        };
        let prefix = format!("{verb} {tag}");
        (format!("{prefix}{}{tag}", self.text), prefix.chars().count())
    }
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), ClientError> {
    let io = |e: std::io::Error| ClientError(format!("{}: {e}", path.display()));
    if !path.is_dir() {
        std::fs::metadata(path).map_err(io)?;
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(path).map_err(io)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() || entry.extension().is_some_and(|x| x == "sql") {
            collect(&entry, out)?;
        }
    }
    Ok(())
}

/// Runs `verb 'script' suffix`; the gateway's errors located in the files.
async fn run(
    gateway: &mut Gateway,
    script: &Script,
    verb: &str,
    suffix: &str,
) -> Result<Vec<Vec<String>>, ClientError> {
    let (sql, prefix) = script.statement(verb);
    gateway.query(&format!("{sql}{suffix}")).await.map_err(|e| match e {
        Failure::Client(e) => e,
        Failure::Server(s) => {
            let offset = s.position.and_then(|p| p.checked_sub(prefix + 1));
            let offset = offset.and_then(|chars| script.text.char_indices().nth(chars).map(|(i, _)| i));
            let at = offset.map(|o| format!("{}: ", script.locate(o))).unwrap_or_default();
            ClientError(format!("{at}{} (SQLSTATE {})", s.message, s.sqlstate))
        }
    })
}

/// The plan as text: one line per object (`+ create`, `~ alter`, `-/+ replace`,
/// `= unchanged`) with its diff, and a summary. Returns whether anything changes.
pub fn render(rows: &[Vec<String>], out: &mut String) -> bool {
    let mut counts = [0usize; 5];
    for row in rows {
        let [kind, name, action, restart, diff] = row.as_slice() else { continue };
        let (symbol, i) = match action.as_str() {
            "create" => ("+", 0),
            "alter" => ("~", 1),
            "replace" => ("-/+", 2),
            "drop" => ("-", 3),
            _ => ("=", 4),
        };
        counts[i] += 1;
        let restarts =
            if restart == "t" || restart == "true" { " (restarts its running deployment)" } else { "" };
        out.push_str(&format!("{symbol} {kind} {name}: {action}{restarts}\n"));
        if i < 4 {
            for line in diff.lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
    }
    let dropped = if counts[3] > 0 { format!(", {} to drop", counts[3]) } else { String::new() };
    out.push_str(&format!(
        "Plan: {} to create, {} to alter, {} to replace{dropped}, {} unchanged.\n",
        counts[0], counts[1], counts[2], counts[4]
    ));
    counts[..4].iter().any(|c| *c > 0)
}

/// `sluice plan`: prints the plan.
pub async fn plan(args: &PlanArgs) -> Result<Outcome, ClientError> {
    let script = Script::read(&args.paths)?;
    let mut gateway = Gateway::connect(&args.connect, "sluice plan").await?;
    let rows = run(&mut gateway, &script, "EXPLAIN APPLY", if args.prune { " PRUNE" } else { "" }).await;
    gateway.close().await;
    let mut out = String::new();
    let changes = render(&rows?, &mut out);
    print!("{out}");
    Ok(if changes { Outcome::Changes } else { Outcome::NoChanges })
}

/// `sluice apply`: prints the plan, asks (unless `--auto-approve`), applies.
pub async fn apply(args: &ApplyArgs) -> Result<Outcome, ClientError> {
    let script = Script::read(&args.plan.paths)?;
    let mut gateway = Gateway::connect(&args.plan.connect, "sluice apply").await?;
    let result = plan_then_apply(&mut gateway, &script, args).await;
    gateway.close().await;
    result
}

async fn plan_then_apply(
    gateway: &mut Gateway,
    script: &Script,
    args: &ApplyArgs,
) -> Result<Outcome, ClientError> {
    let mut out = String::new();
    let prune = if args.plan.prune { " PRUNE" } else { "" };
    let changes = render(&run(gateway, script, "EXPLAIN APPLY", prune).await?, &mut out);
    print!("{out}");
    if !changes {
        println!("Nothing to apply.");
        return Ok(Outcome::NoChanges);
    }
    if !args.auto_approve && !confirmed()? {
        return Err(ClientError("not applied".into()));
    }
    let suffix = format!("{prune}{}", if args.allow_restart { " ALLOW RESTART" } else { "" });
    let applied = run(gateway, script, "APPLY", &suffix).await?;
    for row in &applied {
        if let [kind, name, action, ..] = row.as_slice() {
            println!("applied: {kind} {name} ({action})");
        }
    }
    println!("Applied {} changes.", applied.len());
    Ok(Outcome::Changes)
}

/// Asks on the terminal; anything but `yes` is no. Without a terminal: refused.
fn confirmed() -> Result<bool, ClientError> {
    if !std::io::stdin().is_terminal() {
        return Err(ClientError("not applied: no terminal to confirm on (use --auto-approve)".into()));
    }
    print!("Apply these changes? Only 'yes' is accepted: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|e| ClientError(format!("stdin: {e}")))?;
    Ok(answer.trim() == "yes")
}
