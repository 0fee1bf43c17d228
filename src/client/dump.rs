//! `sluice dump --dir DIR`: the catalog of a running gateway as SQL files, one per object
//! (`sources/shop_db.sql`, `pipelines/orders_fanout.sql` …), each the object's SHOW CREATE
//! script. The same catalog gives byte-identical files; `.sql` files left in the kind
//! directories by an earlier dump of objects that are gone are removed, so a dump into a
//! git working tree shows what changed. The gateway's `SHOW CREATE ALL` lists the objects
//! in an order that replays (roles, each after the roles it is a member of, secrets,
//! sources, tables, targets, pipelines, syncs, schedules).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{ClientError, ConnectArgs, Gateway};

#[derive(Debug, clap::Args)]
pub struct DumpArgs {
    /// The directory to write into (created when missing)
    #[arg(long)]
    pub dir: PathBuf,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// What a dump did.
#[derive(Debug, Default)]
pub struct Dumped {
    /// Files written, relative to the directory, in replay order.
    pub written: Vec<String>,
    /// Stale files removed, relative to the directory.
    pub removed: Vec<String>,
}

/// The kinds' directories, in replay order.
const KIND_DIRS: [&str; 8] =
    ["roles", "secrets", "sources", "tables", "targets", "pipelines", "syncs", "schedules"];

pub async fn run(args: &DumpArgs) -> Result<Dumped, ClientError> {
    let mut gateway = Gateway::connect(&args.connect, "sluice dump").await?;
    let rows = gateway.text_rows("SHOW CREATE ALL").await;
    gateway.close().await;
    write(&args.dir, &rows?)
}

/// Writes one file per `(kind, name, script)` row under `dir`.
pub fn write(dir: &Path, rows: &[Vec<String>]) -> Result<Dumped, ClientError> {
    let io = |path: &Path, e: std::io::Error| ClientError(format!("{}: {e}", path.display()));
    let mut dumped = Dumped::default();
    let mut kept: BTreeSet<PathBuf> = BTreeSet::new();
    let mut dirs: BTreeSet<String> = KIND_DIRS.iter().map(|d| d.to_string()).collect();
    for row in rows {
        let [kind, name, script] = row.as_slice() else {
            return Err(ClientError(format!("SHOW CREATE ALL returned {} columns, not 3", row.len())));
        };
        let kind_dir = format!("{kind}s");
        let relative = format!("{kind_dir}/{}.sql", file_name(name));
        let path = dir.join(&relative);
        if !kept.insert(path.clone()) {
            return Err(ClientError(format!("two objects would be written to {relative}")));
        }
        let parent = dir.join(&kind_dir);
        std::fs::create_dir_all(&parent).map_err(|e| io(&parent, e))?;
        let contents = format!("{script}\n");
        if std::fs::read(&path).ok().as_deref() != Some(contents.as_bytes()) {
            std::fs::write(&path, contents).map_err(|e| io(&path, e))?;
        }
        dirs.insert(kind_dir);
        dumped.written.push(relative);
    }
    for kind_dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir.join(&kind_dir)) else { continue };
        let mut stale: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql") && !kept.contains(p))
            .collect();
        stale.sort();
        for path in stale {
            std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
            let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            dumped.removed.push(format!("{kind_dir}/{file}"));
        }
    }
    Ok(dumped)
}

/// A file name for an object's name: letters, digits, `_`, `-` and `.` as they are, any
/// other byte (and a leading `.`) as `%XX`, so that different names never share a file.
pub fn file_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, byte) in name.bytes().enumerate() {
        let plain = byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' || (byte == b'.' && i > 0);
        if plain {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_plain_where_they_can_be_and_never_collide() {
        assert_eq!(file_name("orders_fanout"), "orders_fanout");
        assert_eq!(file_name("k.clicks"), "k.clicks");
        assert_eq!(file_name("Ops Crew"), "Ops%20Crew");
        assert_eq!(file_name("lake.\"DB\".t"), "lake.%22DB%22.t");
        assert_eq!(file_name("../etc"), "%2E.%2Fetc");
        assert_eq!(file_name("a%20b"), "a%2520b");
        assert_eq!(file_name("größe"), "gr%C3%B6%C3%9Fe");
        assert_ne!(file_name("a b"), file_name("a%20b"));
    }

    #[test]
    fn a_dump_writes_one_file_per_object_and_removes_stale_ones() {
        let dir = tempfile_dir();
        let row = |k: &str, n: &str, s: &str| vec![k.to_owned(), n.to_owned(), s.to_owned()];
        let first = [
            row("source", "shop", "CREATE SOURCE shop TYPE datagen;"),
            row("table", "k.t", "CREATE TABLE k.t (a INT);"),
        ];
        let dumped = write(&dir, &first).expect("dump");
        assert_eq!(dumped.written, ["sources/shop.sql", "tables/k.t.sql"]);
        assert_eq!(
            std::fs::read_to_string(dir.join("sources/shop.sql")).unwrap(),
            "CREATE SOURCE shop TYPE datagen;\n"
        );
        std::fs::write(dir.join("sources/notes.txt"), "kept").unwrap();
        let dumped = write(&dir, &first[..1]).expect("dump");
        assert_eq!(dumped.removed, ["tables/k.t.sql"]);
        assert!(dir.join("sources/notes.txt").exists(), "files that are not .sql stay");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sluice-dump-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }
}
