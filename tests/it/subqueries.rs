//! Subqueries as catalog queries of real tools write them — over the outer row's arrays,
//! in ORDER BY, with bound parameters — answered with PostgreSQL's values and errors.

use tokio_postgres::Client;

use crate::common::TestServer;

/// The rows of `sql` as text, column by column (NULL as `None`).
async fn rows(client: &Client, sql: &str) -> Vec<Vec<Option<String>>> {
    client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => {
                Some((0..row.len()).map(|i| row.get(i).map(str::to_owned)).collect())
            }
            _ => None,
        })
        .collect()
}

fn strs(rows: &[&[Option<&str>]]) -> Vec<Vec<Option<String>>> {
    rows.iter().map(|r| r.iter().map(|v| v.map(str::to_owned)).collect()).collect()
}

#[tokio::test]
async fn subqueries_over_the_outer_rows_array_give_each_rows_values() {
    let server = TestServer::start();
    let client = server.client().await;
    // Sigma: each key column looked up by the outer row's conkey[i], i over its bounds
    let sigma = "SELECT cl.relname, \
         array(SELECT (SELECT attname::text FROM pg_attribute WHERE attrelid = con.conrelid AND attnum = con.conkey[i]) \
               FROM generate_series(array_lower(con.conkey, 1), array_upper(con.conkey, 1)) i), \
         (SELECT relname FROM pg_class WHERE oid = con.confrelid), \
         array(SELECT (SELECT attname::text FROM pg_attribute WHERE attrelid = con.confrelid AND attnum = con.confkey[i]) \
               FROM generate_series(array_lower(con.confkey, 1), array_upper(con.confkey, 1)) i) \
         FROM pg_class cl JOIN pg_namespace ns ON cl.relnamespace = ns.oid JOIN pg_constraint con ON con.conrelid = cl.oid \
         WHERE ns.nspname = 'sluice' AND con.contype = 'f' ORDER BY 1";
    assert_eq!(
        rows(&client, sigma).await,
        strs(&[
            &[
                Some("columns"),
                Some("{source,database,table_name}"),
                Some("tables"),
                Some("{source,database,name}")
            ],
            &[Some("lineage"), Some("{pipeline}"), Some("pipelines"), Some("{name}")],
            &[Some("role_members"), Some("{role}"), Some("roles"), Some("{name}")],
            &[Some("role_members"), Some("{member}"), Some("roles"), Some("{name}")],
            &[Some("sync_tables"), Some("{sync}"), Some("syncs"), Some("{name}")],
            &[Some("tables"), Some("{source}"), Some("sources"), Some("{name}")],
        ])
    );
    // pgcli: parent and child key columns, two unnests of two subqueries in lockstep
    let pgcli = "SELECT t_c.relname, \
         unnest((SELECT array_agg(attname ORDER BY i) FROM (SELECT unnest(confkey) AS attnum, generate_subscripts(confkey, 1) AS i) x \
                 JOIN pg_catalog.pg_attribute c USING(attnum) WHERE c.attrelid = fk.confrelid)) AS parentcolumn, \
         unnest((SELECT array_agg(attname ORDER BY i) FROM (SELECT unnest(conkey) AS attnum, generate_subscripts(conkey, 1) AS i) x \
                 JOIN pg_catalog.pg_attribute c USING(attnum) WHERE c.attrelid = fk.conrelid)) AS childcolumn \
         FROM pg_catalog.pg_constraint fk JOIN pg_catalog.pg_class t_c ON t_c.oid = fk.conrelid \
         WHERE fk.contype = 'f' AND t_c.relname = 'columns'";
    assert_eq!(
        rows(&client, pgcli).await,
        strs(&[
            &[Some("columns"), Some("source"), Some("source")],
            &[Some("columns"), Some("database"), Some("database")],
            &[Some("columns"), Some("name"), Some("table_name")],
        ])
    );
}

#[tokio::test]
async fn in_exists_and_scalar_subqueries_over_the_outer_row_follow_sql_nulls() {
    let server = TestServer::start();
    let client = server.client().await;
    let sql = "SELECT x, x IN (SELECT v FROM unnest(arr) AS u(v)), x NOT IN (SELECT v FROM unnest(arr) AS u(v)), \
               EXISTS (SELECT 1 FROM unnest(arr) AS u(v) WHERE v > x), \
               (SELECT max(v) FROM unnest(arr) AS u(v) WHERE v < x) \
               FROM (VALUES (1, make_array(1, 2)), (3, make_array(1, NULL)), (NULL, make_array(1)), (5, make_array(1, 2))) \
               AS t(x, arr) ORDER BY x NULLS LAST";
    assert_eq!(
        rows(&client, sql).await,
        strs(&[
            &[Some("1"), Some("t"), Some("f"), Some("t"), None],
            &[Some("3"), None, None, Some("f"), Some("1")],
            &[Some("5"), Some("f"), Some("t"), Some("f"), Some("2")],
            &[None, None, None, Some("f"), None],
        ])
    );
    // the columns are named as PostgreSQL names them
    let named = client.prepare(
        "SELECT (SELECT max(v) FROM unnest(a) AS u(v)), EXISTS (SELECT 1) FROM (VALUES (make_array(1))) t(a)",
    );
    let named = named.await.unwrap();
    let names: Vec<&str> = named.columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["max", "exists"]);
    // more than one row where one value is expected: PostgreSQL's error, at run time
    let err = client.simple_query("SELECT (SELECT x FROM (VALUES (1), (2)) AS v(x))").await.unwrap_err();
    let db = err.as_db_error().expect("a database error");
    assert_eq!(db.code().code(), "21000", "{db:?}");
    assert_eq!(db.message(), "more than one row returned by a subquery used as an expression");
}

#[tokio::test]
async fn a_subquery_in_order_by_sorts() {
    let server = TestServer::start();
    let client = server.client().await;
    // Grafana: the tables of the search path first
    client.batch_execute("SET search_path = sluice, public").await.unwrap();
    let sql = "SELECT x FROM (VALUES ('b'), ('sluice'), ('a'), ('public')) AS t(x) \
               ORDER BY CASE WHEN x IN (SELECT trim(s) FROM unnest(string_to_array(current_setting('search_path'), ',')) AS p(s)) \
               THEN 0 ELSE 1 END, 1";
    let sorted: Vec<String> = rows(&client, sql).await.into_iter().filter_map(|r| r[0].clone()).collect();
    assert_eq!(sorted, ["public", "sluice", "a", "b"]);
}

#[tokio::test]
async fn function_definitions_and_arguments_come_from_pg_proc() {
    let server = TestServer::start();
    let client = server.client().await;
    let row = client
        .query_one(
            "WITH f AS (SELECT 'pg_catalog.version'::pg_catalog.regproc::pg_catalog.oid AS f_oid) \
             SELECT pg_catalog.pg_get_functiondef(f.f_oid) FROM f",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.columns()[0].name(), "pg_get_functiondef");
    assert_eq!(
        row.get::<_, String>(0),
        "CREATE OR REPLACE FUNCTION pg_catalog.version()\n RETURNS text\n LANGUAGE internal\n \
         STABLE PARALLEL SAFE STRICT\nAS $function$pgsql_version$function$\n"
    );
    let args = rows(
        &client,
        "SELECT pg_get_function_arguments(p.oid), pg_get_function_result(p.oid) FROM pg_catalog.pg_proc p \
         WHERE p.proname IN ('format_type', 'version') ORDER BY p.proname",
    )
    .await;
    assert_eq!(args, strs(&[&[Some("oid, integer"), Some("text")], &[Some(""), Some("text")]]));
}

#[tokio::test]
async fn a_bound_regclass_parameter_is_an_oid_or_a_name() {
    let server = TestServer::start();
    let client = server.client().await;
    let oid: u32 = client.query_one("SELECT 'sluice.columns'::regclass::oid", &[]).await.unwrap().get(0);
    // psql's \d: the table's oid bound as text, inside VALUES of an IN subquery
    let sql = "SELECT conname FROM pg_catalog.pg_constraint c \
               WHERE conrelid IN (SELECT pg_catalog.pg_partition_ancestors($1) UNION ALL VALUES ($1::pg_catalog.regclass)) \
               AND contype = 'f' ORDER BY conname";
    let names: Vec<String> =
        client.query(sql, &[&oid.to_string()]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(names, ["columns_source_database_table_name_fkey"]);
    // and a name, where the parameter is only cast to regclass
    let by_name =
        "SELECT conname FROM pg_catalog.pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'";
    let names: Vec<String> =
        client.query(by_name, &[&"sluice.columns"]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(names, ["columns_source_database_table_name_fkey"]);
}
