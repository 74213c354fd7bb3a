//! The catalog as stored: one row per category, its body as JSON, audited like any other row.

use probity_domain::catalog::{Catalog, Category, default_catalog};

use crate::Store;
use crate::db::Val;
use crate::error::{StoreError, StoreResult};

impl Store {
    pub fn catalog(&self) -> StoreResult<Catalog> {
        let mut c = self.conn()?;
        let mut cats = Vec::new();
        for r in c.query("SELECT code, body FROM categories ORDER BY code", &[])? {
            let body = r.need_text("body")?;
            let code = r.need_text("code")?;
            let cat: Category = serde_json::from_str(body)
                .map_err(|e| StoreError::Internal(format!("目录项 {code} 无法解析：{e}")))?;
            cats.push(cat);
        }
        // Keep the order of the default catalog for the categories it has, then the rest.
        let order: Vec<String> = default_catalog().into_iter().map(|c| c.code).collect();
        cats.sort_by_key(|c| {
            order
                .iter()
                .position(|o| *o == c.code)
                .unwrap_or(usize::MAX)
        });
        Ok(Catalog::new(cats))
    }

    /// The codes of the categories added or changed after change `since`, by the journal.
    pub fn categories_changed_since(&self, since: i64) -> StoreResult<Vec<String>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT DISTINCT entity_id FROM journal WHERE entity = 'category' AND seq > $1",
            &[Val::Int(since)],
        )?;
        rows.iter()
            .map(|r| r.need_text("entity_id").map(str::to_string))
            .collect()
    }

    /// Adds or changes a category after checking that its numbers are coherent.
    pub fn save_category(&self, cat: &Category, actor: &str) -> StoreResult<()> {
        self.write(|tx| tx.catalog().save(cat, actor))
    }

    /// Installs the national default catalog into an empty database.
    pub(crate) fn seed_catalog(&self) -> StoreResult<()> {
        let mut c = self.conn()?;
        let n = c
            .query_int("SELECT COUNT(*) FROM categories", &[])?
            .unwrap_or(0);
        drop(c);
        if n == 0 {
            for cat in default_catalog() {
                self.save_category(&cat, "system")?;
            }
        }
        Ok(())
    }
}
