//! Test databases: a fresh SQLite file always, and a fresh PostgreSQL
//! database when `SSC_CDS_TEST_POSTGRES` names a server (an admin URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`). Under CI the PostgreSQL
//! variant is required.

use std::path::PathBuf;

use sqlx::{Connection, Executor};
use ssc_myositis_cds::store::{sqlite_url, Store};

pub struct TestDb {
    pub name: &'static str,
    pub url: String,
    pg_database: Option<String>,
    dir: Option<PathBuf>,
}

/// The PostgreSQL admin URL, if the tests should use PostgreSQL.
pub fn postgres_admin() -> Option<String> {
    match std::env::var("SSC_CDS_TEST_POSTGRES") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must run the store tests on PostgreSQL: set SSC_CDS_TEST_POSTGRES"
            );
            eprintln!("SSC_CDS_TEST_POSTGRES not set: PostgreSQL variant SKIPPED, SQLite only");
            None
        }
    }
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ssc-{tag}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = temp_dir("store");
        TestDb {
            name: "sqlite",
            url: sqlite_url(&dir.join("records.sqlite")),
            pg_database: None,
            dir: Some(dir),
        }
    }

    pub async fn postgres(admin: &str) -> TestDb {
        sqlx::any::install_default_drivers();
        let db = format!("ssc_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::AnyConnection::connect(admin)
            .await
            .expect("PostgreSQL reachable");
        conn.execute(format!("CREATE DATABASE {db}").as_str())
            .await
            .unwrap();
        conn.close().await.unwrap();
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
        TestDb {
            name: "postgres",
            url: format!("{base}/{db}"),
            pg_database: Some(db),
            dir: None,
        }
    }

    /// SQLite, and PostgreSQL when configured.
    pub async fn all() -> Vec<TestDb> {
        let mut v = vec![TestDb::sqlite()];
        if let Some(admin) = postgres_admin() {
            v.push(TestDb::postgres(&admin).await);
        }
        v
    }

    pub async fn open(&self) -> Store {
        Store::open(&self.url)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }

    /// Removes the database (call after closing every store on it).
    pub async fn drop_db(self) {
        if let Some(db) = &self.pg_database {
            let admin = postgres_admin().expect("created on PostgreSQL");
            if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await {
                let _ = conn
                    .execute(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)").as_str())
                    .await;
            }
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
