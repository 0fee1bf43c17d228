//! The import rules of ARCHITECTURE.md, checked on the source tree so they stay true:
//! wire (`server/`) → statements (`handler/`) → services (`service/`) → domain. Nothing
//! imports a layer above it, the dialect (crate `sluice-sql`, in `sql/`) depends only on
//! DataFusion's SQL crates, `compile/` does no I/O, and no function is longer than 120
//! lines.

use std::path::{Path, PathBuf};

/// The domain: below the services.
const DOMAIN: &[&str] = &["deploy", "plan", "compile", "sync", "connectors", "engine"];
/// Below the statements and the wire (the scheduler runs tasks through the services).
const BELOW_HANDLERS: &[&str] =
    &["service", "deploy", "scheduler", "plan", "compile", "sync", "connectors", "engine"];
const MAX_FUNCTION_LINES: usize = 120;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// A file's code without its unit tests (`#[cfg(test)]` to the end: the module's tests
/// sit last) and without comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// The crate modules a file's code names: `crate::m…` and the `m` of `crate::{m, …}`.
fn crate_modules(code: &str) -> Vec<String> {
    let mut modules = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String =
                    item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                modules.push(name);
            }
        } else {
            modules.push(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
        }
    }
    modules
}

fn relative(path: &Path) -> String {
    path.strip_prefix(src()).unwrap_or(path).display().to_string()
}

#[test]
fn lower_layers_do_not_import_the_wire_or_the_statements() {
    let mut found = Vec::new();
    for dir in BELOW_HANDLERS {
        for file in rust_files(&src().join(dir)) {
            for module in crate_modules(&code(&file)) {
                if module == "handler" || module == "server" {
                    found.push(format!("{} imports crate::{module}", relative(&file)));
                }
            }
        }
    }
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

#[test]
fn the_domain_does_not_import_the_services() {
    let mut found = Vec::new();
    for dir in DOMAIN {
        for file in rust_files(&src().join(dir)) {
            for module in crate_modules(&code(&file)) {
                // the watcher and the local runner take the runtime (store, engine, key)
                let allowed = module == "runtime" && *dir == "deploy";
                if (module == "service" || module == "runtime") && !allowed {
                    found.push(format!("{} imports crate::{module}", relative(&file)));
                }
            }
        }
    }
    assert!(found.is_empty(), "domain files that import the services or the runtime:\n{}", found.join("\n"));
}

#[test]
fn client_modes_reach_the_gateway_only_through_the_wire() {
    let mut found = Vec::new();
    for file in rust_files(&src().join("client")) {
        for module in crate_modules(&code(&file)) {
            if module != "sql" && module != "client" {
                found.push(format!("{} imports crate::{module}", relative(&file)));
            }
        }
    }
    assert!(found.is_empty(), "client modes use only the dialect:\n{}", found.join("\n"));
}

#[test]
fn parsing_depends_on_nothing_but_the_sql_crates() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("sql/Cargo.toml");
    let section = text.split("[dependencies]").nth(1).expect("a [dependencies] section");
    let section = section.split("\n[").next().unwrap_or(section);
    let names: Vec<&str> = section
        .lines()
        .filter_map(|l| l.split('=').next().map(str::trim))
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .collect();
    // sqlparser and recursive are DataFusion's own (datafusion-sql's parser and its stack
    // growth), named to turn on sqlparser's recursion protection
    let allowed = ["base64", "chrono", "datafusion-common", "datafusion-sql", "sqlparser", "recursive"];
    let extra: Vec<&&str> = names.iter().filter(|n| !allowed.contains(n)).collect();
    assert!(extra.is_empty(), "sluice-sql must stand alone; it also depends on {extra:?}");
    assert!(!names.is_empty(), "the dependency scan read nothing: {section}");
}

#[test]
fn compiling_does_no_io() {
    let forbidden = [
        ".await",
        "std::fs",
        "tokio::fs",
        "std::net",
        "tokio::net",
        "std::process",
        "reqwest",
        "sqlx",
        "mysql_async",
        "tokio_postgres",
        "sluice_catalog::Store",
        "crate::runtime",
        "crate::deploy",
        "crate::service",
    ];
    let mut found = Vec::new();
    for file in rust_files(&src().join("compile")) {
        let code = code(&file);
        for word in forbidden {
            if code.contains(word) {
                found.push(format!("{} uses {word}", relative(&file)));
            }
        }
    }
    assert!(found.is_empty(), "compile/ must be pure:\n{}", found.join("\n"));
}

#[test]
fn only_the_wire_builds_sessions() {
    let found: Vec<String> = rust_files(&src())
        .into_iter()
        .filter(|f| !relative(f).starts_with("server/"))
        .filter(|f| code(f).contains("Session::new("))
        .map(|f| relative(&f))
        .collect();
    assert!(found.is_empty(), "a Session is built outside server/ in:\n{}", found.join("\n"));
}

/// Functions, by the rustfmt layout: a line starting `fn`/`pub fn`/`async fn …` up to
/// the `}` at the same indentation.
fn long_functions(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let mut long = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let words: Vec<&str> = trimmed.split_whitespace().take_while(|w| *w != "fn").collect();
        let is_fn = trimmed.split_whitespace().any(|w| w == "fn")
            && words
                .iter()
                .all(|w| matches!(*w, "pub" | "async" | "const" | "unsafe") || w.starts_with("pub("))
            && !trimmed.ends_with(';');
        if !is_fn {
            continue;
        }
        let close = format!("{indent}}}");
        if let Some(end) = lines[i..].iter().position(|l| *l == close)
            && end + 1 > MAX_FUNCTION_LINES
        {
            long.push(format!("{}:{} is {} lines: {}", relative(path), i + 1, end + 1, trimmed));
        }
    }
    long
}

#[test]
fn no_function_is_longer_than_120_lines() {
    let dialect = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/src");
    let files = rust_files(&src()).into_iter().chain(rust_files(&dialect));
    let long: Vec<String> = files.flat_map(|f| long_functions(&f)).collect();
    assert!(long.is_empty(), "split these functions:\n{}", long.join("\n"));
}

#[test]
fn the_import_scan_sees_paths_and_groups() {
    let code = "use crate::handler::Ctx;\nuse crate::{error::Result, server};\nlet x = crate::plan::bind(y);";
    assert_eq!(crate_modules(code), ["handler", "error", "server", "plan"]);
}
