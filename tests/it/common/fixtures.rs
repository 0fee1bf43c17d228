//! Test data in the machine's real MariaDB and PostgreSQL: a database (MariaDB) or schema
//! (PostgreSQL) per test, with a table holding every column type the sources issue
//! names, and a login for Sluice to use. Dropped again when the fixture is dropped.

use sqlx::Executor;

/// Whether the local servers answer (the tests that need them skip or fail otherwise).
pub async fn mariadb_up() -> bool {
    sqlx::MySqlPool::connect("mysql://root@127.0.0.1:3306/test").await.is_ok()
}

pub async fn postgres_up() -> bool {
    sqlx::PgPool::connect("postgres://postgres@127.0.0.1:5432/test").await.is_ok()
}

fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst))
}

/// A MariaDB database `name` with table `orders` (20 rows) and a user `name`/`PASSWORD`.
pub struct MariaDb {
    pub name: String,
    pool: sqlx::MySqlPool,
}

pub const SOURCE_PASSWORD: &str = "src-pw 'quoted\" & secret";

impl MariaDb {
    pub async fn create() -> MariaDb {
        let name = unique("sluice_it");
        let pool = sqlx::MySqlPool::connect("mysql://root@127.0.0.1:3306/test").await.unwrap();
        let password = SOURCE_PASSWORD.replace('\'', "''");
        for sql in [
            format!("CREATE DATABASE {name}"),
            format!(
                "CREATE TABLE {name}.orders (id INT PRIMARY KEY, big BIGINT UNSIGNED, amount DECIMAL(10,2), name VARCHAR(64), \
                 note TEXT, day DATE, at DATETIME(3), seen TIMESTAMP NULL, doc JSON, flag BOOL, raw VARBINARY(16))"
            ),
            format!(
                "INSERT INTO {name}.orders SELECT seq, seq * 1000000000000, seq * 1.25, CONCAT('order ', seq), NULL, \
                 DATE_ADD('2026-01-01', INTERVAL seq DAY), TIMESTAMP('2026-01-01 10:00:00.500') + INTERVAL seq MINUTE, NULL, \
                 JSON_OBJECT('n', seq), seq % 2 = 0, UNHEX('CAFE') FROM seq_1_to_20"
            ),
            format!("CREATE USER '{name}'@'%' IDENTIFIED BY '{password}'"),
            format!("GRANT SELECT ON {name}.* TO '{name}'@'%'"),
        ] {
            pool.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
        }
        MariaDb { name, pool }
    }

    /// Runs `sql` as root (to add test data).
    pub async fn execute(&self, sql: &str) {
        self.pool.execute(sqlx::AssertSqlSafe(sql.to_owned())).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Rows of `sql` (run as root), every value as text (NULL as "NULL").
    pub async fn text_rows(&self, sql: &str) -> Vec<Vec<String>> {
        use sqlx::Row;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&self.pool).await.unwrap();
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.try_get::<Option<String>, _>(i).unwrap().unwrap_or_else(|| "NULL".into()))
                    .collect()
            })
            .collect()
    }

    pub async fn drop(self) {
        let _ = self.pool.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE {}", self.name))).await;
        let _ = self.pool.execute(sqlx::AssertSqlSafe(format!("DROP USER '{}'@'%'", self.name))).await;
    }
}

/// A PostgreSQL schema `name` in database `test` with table `orders` (20 rows) and a
/// role `name` that may read it.
pub struct Postgres {
    pub name: String,
    pool: sqlx::PgPool,
}

impl Postgres {
    pub async fn create() -> Postgres {
        let name = unique("sluice_it");
        let pool = sqlx::PgPool::connect("postgres://postgres@127.0.0.1:5432/test").await.unwrap();
        for sql in [
            format!("CREATE SCHEMA {name}"),
            format!(
                "CREATE TABLE {name}.orders (id int PRIMARY KEY, amount numeric(10,2), name varchar(64), note text, \
                 day date, at timestamp(3), seen timestamptz, doc jsonb, flag boolean, raw bytea)"
            ),
            format!(
                "INSERT INTO {name}.orders SELECT g, g * 1.25, 'order ' || g, NULL, DATE '2026-01-01' + g, \
                 TIMESTAMP '2026-01-01 10:00:00.5' + g * INTERVAL '1 minute', NULL, jsonb_build_object('n', g), g % 2 = 0, \
                 '\\xcafe'::bytea FROM generate_series(1, 20) g"
            ),
            format!("CREATE ROLE {name} LOGIN PASSWORD 'pg-pw'"),
            format!("GRANT USAGE ON SCHEMA {name} TO {name}"),
            format!("GRANT SELECT ON ALL TABLES IN SCHEMA {name} TO {name}"),
        ] {
            pool.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
        }
        Postgres { name, pool }
    }

    /// Runs `sql` as postgres (to add test data).
    pub async fn execute(&self, sql: &str) {
        self.pool.execute(sqlx::AssertSqlSafe(sql.to_owned())).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Rows of `sql`, every value as text (NULL as "NULL").
    pub async fn text_rows(&self, sql: &str) -> Vec<Vec<String>> {
        use sqlx::Row;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&self.pool).await.unwrap();
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.try_get::<Option<String>, _>(i).unwrap().unwrap_or_else(|| "NULL".into()))
                    .collect()
            })
            .collect()
    }

    pub async fn drop(self) {
        let _ = self.pool.execute(sqlx::AssertSqlSafe(format!("DROP SCHEMA {} CASCADE", self.name))).await;
        let _ = self.pool.execute(sqlx::AssertSqlSafe(format!("DROP ROLE {}", self.name))).await;
    }
}
