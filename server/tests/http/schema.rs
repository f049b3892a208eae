//! The two databases hold the same schema: the SQLite and PostgreSQL
//! migrations (kept side by side) create the same tables, the same columns
//! with the same nullability, and the same named indexes.

use std::collections::BTreeMap;

use crate::support::{Db, TestServer};
use sqlx::Connection;

/// table → (column → nullable, named indexes)
type Schema = BTreeMap<String, (BTreeMap<String, bool>, Vec<String>)>;

async fn schema_of(db: Db) -> Schema {
    // The server migrates its database at start.
    let server = TestServer::start(db).await;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&server.database_url).await.unwrap();
    let sqlite = db == Db::Sqlite;
    let tables: Vec<String> = if sqlite {
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'")
            .fetch_all(&mut conn)
            .await
            .unwrap()
    } else {
        sqlx::query_scalar(
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
    };
    let mut out = Schema::new();
    for table in tables {
        let columns: Vec<(String, bool)> = if sqlite {
            let rows: Vec<(String, i64, i64)> = sqlx::query_as(&format!("SELECT name, \"notnull\", pk FROM pragma_table_info('{table}')"))
                .fetch_all(&mut conn)
                .await
                .unwrap();
            // An INTEGER PRIMARY KEY is never NULL, whatever `notnull` says.
            rows.into_iter().map(|(name, not_null, pk)| (name, not_null == 0 && pk == 0)).collect()
        } else {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT CAST(column_name AS TEXT), CAST(is_nullable AS TEXT) FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = $1",
            )
            .bind(&table)
            .fetch_all(&mut conn)
            .await
            .unwrap();
            rows.into_iter().map(|(name, nullable)| (name, nullable == "YES")).collect()
        };
        // Named indexes only: primary keys and UNIQUE constraints get
        // generated names that differ between the two.
        let mut indexes: Vec<String> = if sqlite {
            sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND name NOT LIKE 'sqlite_autoindex%'",
            )
            .bind(&table)
            .fetch_all(&mut conn)
            .await
            .unwrap()
        } else {
            let names: Vec<String> =
                sqlx::query_scalar("SELECT CAST(indexname AS TEXT) FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1")
                    .bind(&table)
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            names.into_iter().filter(|n| !n.ends_with("_pkey") && !n.ends_with("_key")).collect()
        };
        indexes.sort();
        out.insert(table, (columns.into_iter().collect(), indexes));
    }
    conn.close().await.ok();
    server.stop().await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_schemas_match() {
    let (sqlite, postgres) = (schema_of(Db::Sqlite).await, schema_of(Db::Postgres).await);
    assert!(sqlite.len() > 10, "tables found: {:?}", sqlite.keys());
    let mut differences = Vec::new();
    for table in sqlite.keys().chain(postgres.keys()).collect::<std::collections::BTreeSet<_>>() {
        match (sqlite.get(table), postgres.get(table)) {
            (Some(s), Some(p)) => {
                for column in s.0.keys().chain(p.0.keys()).collect::<std::collections::BTreeSet<_>>() {
                    match (s.0.get(column), p.0.get(column)) {
                        (Some(a), Some(b)) if a == b => {}
                        (a, b) => differences.push(format!("{table}.{column}: nullable on SQLite {a:?}, on PostgreSQL {b:?}")),
                    }
                }
                if s.1 != p.1 {
                    differences.push(format!("{table} indexes: SQLite {:?}, PostgreSQL {:?}", s.1, p.1));
                }
            }
            (s, _) => differences.push(format!("table {table} only on {}", if s.is_some() { "SQLite" } else { "PostgreSQL" })),
        }
    }
    assert!(differences.is_empty(), "the schemas differ:\n{}", differences.join("\n"));
}
