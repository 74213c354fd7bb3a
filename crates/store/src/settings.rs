//! The platform's settings the credit office keeps (平台设置): one row per named setting, its
//! value as JSON, audited by name. The case engine's deadlines (`case_deadlines`) are the first;
//! the coming capabilities (assessment, commitments) keep theirs here too.

use probity_domain::audit::{self, Actor, Entity};

use crate::Store;
use crate::db::Val;
use crate::error::StoreResult;
use crate::journal::{Entry, state_digest};
use crate::unit::Tx;

/// The audited columns of a stored setting.
pub const SETTING_COLS: &[&str] = &["name", "body"];

/// One setting as saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSetting {
    pub name: String,
    /// The value as JSON.
    pub body: String,
    /// When it was last saved (RFC 3339 UTC).
    pub updated_at: String,
}

impl Store {
    /// The setting saved under `name`, if the credit office ever saved one.
    pub fn setting(&self, name: &str) -> StoreResult<Option<StoredSetting>> {
        let mut c = self.conn()?;
        let rows = c.query(
            "SELECT name, body, updated_at FROM settings WHERE name = $1",
            &[Val::from(name)],
        )?;
        rows.first()
            .map(|r| {
                Ok(StoredSetting {
                    name: r.need_text("name")?.to_string(),
                    body: r.need_text("body")?.to_string(),
                    updated_at: r.need_text("updated_at")?.to_string(),
                })
            })
            .transpose()
    }
}

/// The settings, on one unit of work.
pub struct Settings<'t, 's> {
    pub(crate) tx: &'t mut Tx<'s>,
}

impl Settings<'_, '_> {
    /// Saves `body` (JSON) under `name`, journaled with `detail`. Saving the same value again
    /// changes nothing and journals nothing; returns whether it wrote.
    pub fn save(&mut self, name: &str, body: &str, actor: &str, detail: &str) -> StoreResult<bool> {
        let now = self.tx.at().to_string();
        let c = self.tx.conn();
        let old = c.query_text(
            "SELECT body FROM settings WHERE name = $1",
            &[Val::from(name)],
        )?;
        if old.as_deref() == Some(body) {
            return Ok(false);
        }
        let params = [Val::from(name), Val::from(body), Val::from(now.as_str())];
        if old.is_some() {
            c.exec(
                "UPDATE settings SET body = $2, updated_at = $3 WHERE name = $1",
                &params,
            )?;
        } else {
            c.exec(
                "INSERT INTO settings (name, body, updated_at) VALUES ($1, $2, $3)",
                &params,
            )?;
        }
        self.tx.append(Entry {
            actor: Actor::parse(actor),
            action: if old.is_some() {
                audit::Action::Update
            } else {
                audit::Action::Create
            },
            entity: Entity::Setting,
            entity_id: name.to_string(),
            detail: detail.to_string(),
            state_digest: state_digest(&[Val::from(name), Val::from(body)]),
        });
        Ok(true)
    }
}
