//! A fresh PostgreSQL database per test, at `TESSERA_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). Without a server it is `None` with a note,
//! unless `TESSERA_REQUIRE_POSTGRES` is set (as `.ci/run` does): then it fails. Shared by the
//! server's tests and, by path, the command line's cluster test.

/// A fresh PostgreSQL database for one test, dropped afterwards.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    /// Its URL.
    pub url: String,
}

impl PgDatabase {
    /// Creates the database (None, with a note, when PostgreSQL is unreachable and not required).
    pub async fn create() -> Option<Self> {
        let admin_url = std::env::var("TESSERA_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let pool = match sqlx::PgPool::connect(&admin_url).await {
            Ok(p) => p,
            Err(e) => {
                let required =
                    std::env::var_os("TESSERA_REQUIRE_POSTGRES").is_some_and(|v| !v.is_empty());
                assert!(
                    !required,
                    "PostgreSQL is required but unreachable at {admin_url}: {e}"
                );
                eprintln!("skipping: PostgreSQL unreachable at {admin_url}: {e}");
                return None;
            }
        };
        let name = format!(
            "tessera_test_{}",
            tessera_jose::b64::encode(tessera_jose::secret::random(9).unwrap())
                .to_lowercase()
                .replace(['-', '_'], "x")
        );
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .unwrap();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Some(Self {
            admin_url,
            name,
            url,
        })
    }

    /// Drops the database.
    pub async fn drop_now(self) {
        let pool = sqlx::PgPool::connect(&self.admin_url).await.unwrap();
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&pool)
        .await
        .unwrap();
    }
}
