//! Real Apache Paimon warehouses, made with PyPI's `pypaimon` (Paimon's Python API, no JVM)
//! in the venv `scripts/test-deps.sh` prepares.

use std::path::Path;

use crate::common::python;

/// What the warehouse holds: database `ods` with a primary-key table `orders` (three
/// rows) and a partitioned append table `clicks`; database `raw` with nothing in it.
const MAKE: &str = r#"
import decimal, sys
import pyarrow as pa
from pypaimon import CatalogFactory, Schema

catalog = CatalogFactory.create({"warehouse": sys.argv[1]})
catalog.create_database("ods", ignore_if_exists=False)
catalog.create_database("raw", ignore_if_exists=False)

orders = pa.schema([
    pa.field("id", pa.int32(), nullable=False),
    ("customer", pa.string()),
    ("amount", pa.decimal128(10, 2)),
])
catalog.create_table("ods.orders", Schema.from_pyarrow_schema(orders, primary_keys=["id"], options={"bucket": "1"}), False)
table = catalog.get_table("ods.orders")
builder = table.new_batch_write_builder()
write, commit = builder.new_write(), builder.new_commit()
write.write_arrow(pa.Table.from_pydict(
    {"id": [1, 2, 3], "customer": ["ann", "bob", None], "amount": [decimal.Decimal("1.50"), decimal.Decimal("2.25"), None]},
    schema=orders))
commit.commit(write.prepare_commit())
write.close(); commit.close()

clicks = pa.schema([
    ("url", pa.string()),
    ("at", pa.timestamp("ms", tz="UTC")),
    ("tags", pa.list_(pa.string())),
    pa.field("dt", pa.string(), nullable=False),
])
catalog.create_table("ods.clicks", Schema.from_pyarrow_schema(clicks, partition_keys=["dt"]), False)
print("ok")
"#;

/// Makes the warehouse at `dir`; `false` (with the reason printed) when pypaimon is not
/// installed.
pub fn make_warehouse(dir: &Path) -> bool {
    let Some(python) = python() else {
        eprintln!("no Python venv with pypaimon (scripts/test-deps.sh makes it)");
        return false;
    };
    let out = std::process::Command::new(python).arg("-c").arg(MAKE).arg(dir).output().expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("No module named 'pypaimon'") {
            eprintln!("pypaimon is not installed in the venv (scripts/test-deps.sh installs it)");
            return false;
        }
        panic!("pypaimon failed:\n{stdout}\n{stderr}");
    }
    assert_eq!(stdout.trim(), "ok");
    true
}
