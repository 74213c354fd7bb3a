//! The catalog as stored: one row per category, its body as JSON, audited like any other row.

use probity_domain::catalog::{Catalog, Category, default_catalog};

use crate::Store;
use crate::db::Val;
use crate::error::{StoreError, StoreResult};
use crate::journal::{Appender, Entry, state_digest};

impl Store {
    pub fn catalog(&self) -> StoreResult<Catalog> {
        let mut c = self.conn()?;
        let mut cats = Vec::new();
        for r in c.query("SELECT code, body FROM categories ORDER BY code", &[])? {
            let body = r[1].text().unwrap_or_default();
            let cat: Category = serde_json::from_str(body).map_err(|e| {
                StoreError::Internal(format!(
                    "目录项 {} 无法解析：{e}",
                    r[0].text().unwrap_or_default()
                ))
            })?;
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
        Ok(rows
            .iter()
            .filter_map(|r| r[0].text().map(str::to_string))
            .collect())
    }

    /// Adds or changes a category after checking that its numbers are coherent.
    pub fn save_category(&self, cat: &Category, actor: &str) -> StoreResult<()> {
        cat.validate()?;
        let body = serde_json::to_string(cat).map_err(|e| StoreError::Internal(e.to_string()))?;
        let now = self.now_text();
        let mut conn = self.conn()?;
        conn.write(|c| {
            let old = c.query_one(
                "SELECT body FROM categories WHERE code = $1",
                &[Val::from(cat.code.as_str())],
            )?;
            if old.as_ref().and_then(|r| r[0].text()) == Some(body.as_str()) {
                return Ok(());
            }
            if old.is_some() {
                c.exec(
                    "UPDATE categories SET body = $2, updated_at = $3 WHERE code = $1",
                    &[
                        Val::from(cat.code.as_str()),
                        Val::from(body.as_str()),
                        Val::from(now.as_str()),
                    ],
                )?;
            } else {
                c.exec(
                    "INSERT INTO categories (code, body, updated_at) VALUES ($1, $2, $3)",
                    &[
                        Val::from(cat.code.as_str()),
                        Val::from(body.as_str()),
                        Val::from(now.as_str()),
                    ],
                )?;
            }
            let mut j = Appender::open(c, now.clone())?;
            j.append(Entry {
                actor: actor.to_string(),
                action: if old.is_some() { "update" } else { "create" }.to_string(),
                entity: "category".into(),
                entity_id: cat.code.clone(),
                detail: "{}".into(),
                state_digest: state_digest(&[
                    Val::from(cat.code.as_str()),
                    Val::from(body.as_str()),
                ]),
            });
            j.flush(c)
        })
    }

    /// Installs the national default catalog into an empty database.
    pub(crate) fn seed_catalog(&self) -> StoreResult<()> {
        let mut c = self.conn()?;
        let n = c
            .query_one("SELECT COUNT(*) FROM categories", &[])?
            .and_then(|r| r[0].int())
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
