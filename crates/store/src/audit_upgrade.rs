//! When the audited columns of a table grow (issue 8: the password hash, the second factor's
//! secret and the one-time-password flag of accounts; the token hash of API tokens; issue 10:
//! the holder's real name and phone; issue 11: the holder's e-mail address), rows journaled
//! before still carry digests over the old
//! columns. Once per widening (in order), at start-up, each row whose
//! old-column digest still matches its last journal entry gets a new entry (`rebaseline`, by
//! `system:upgrade`) with its digest over the new columns. A row that does not match is left
//! alone, so that `audit verify` still names it: an upgrade never blesses an edit.

use probity_domain::audit::{Action, Actor, Entity};

use crate::db::{Conn, Val};
use crate::error::StoreResult;
use crate::journal::{Appender, Entry, row_digest};

/// One widening of audited columns, applied once (its mark set in `schema_migrations`).
struct Step {
    mark: &'static str,
    tables: &'static [Widened],
}

struct Widened {
    entity: Entity,
    table: &'static str,
    /// The column the journal names a row by.
    key: &'static str,
    /// The old audited columns; empty for reports, whose old digest was SM3 of the content.
    old: &'static [&'static str],
    new: &'static [&'static str],
}

/// The account columns audited from issue 8 until the contact joined them (issue 10).
const ACCOUNT_AUDITED_V8: &[&str] = &[
    "id",
    "name",
    "name_key",
    "role",
    "unit_id",
    "password_hash",
    "totp_secret",
    "totp_enabled",
    "must_change_password",
    "disabled",
    "created_at",
    "updated_at",
];

const STEP_9: &[Widened] = &[
    Widened {
        entity: Entity::Account,
        table: "accounts",
        key: "id",
        old: &[
            "id",
            "name",
            "role",
            "unit_id",
            "totp_enabled",
            "disabled",
            "created_at",
            "updated_at",
        ],
        new: ACCOUNT_AUDITED_V8,
    },
    Widened {
        entity: Entity::ApiToken,
        table: "api_tokens",
        key: "id",
        old: &["id", "account_id", "label", "created_at", "revoked_at"],
        new: crate::accounts::TOKEN_AUDITED,
    },
    Widened {
        entity: Entity::Report,
        table: "reports",
        key: "report_no",
        old: &[],
        new: crate::reports::REPORT_COLS,
    },
];

const STEP_14: &[Widened] = &[Widened {
    entity: Entity::Account,
    table: "accounts",
    key: "id",
    old: ACCOUNT_AUDITED_V8,
    new: crate::accounts::ACCOUNT_AUDITED,
}];

/// The account columns audited from issue 10 until the e-mail address joined them (issue 11).
const ACCOUNT_AUDITED_V14: &[&str] = &[
    "id",
    "name",
    "name_key",
    "real_name",
    "phone",
    "role",
    "unit_id",
    "password_hash",
    "totp_secret",
    "totp_enabled",
    "must_change_password",
    "disabled",
    "created_at",
    "updated_at",
];

const STEP_17: &[Widened] = &[Widened {
    entity: Entity::Account,
    table: "accounts",
    key: "id",
    old: ACCOUNT_AUDITED_V14,
    new: crate::accounts::ACCOUNT_AUDITED,
}];

const STEPS: &[Step] = &[
    Step {
        mark: "0009_audit_rebaseline_accounts_tokens_reports",
        tables: STEP_9,
    },
    Step {
        mark: "0014_audit_rebaseline_account_contact",
        tables: STEP_14,
    },
    Step {
        mark: "0017_audit_rebaseline_account_email",
        tables: STEP_17,
    },
];

pub(crate) fn run(conn: &mut Conn, now: &str) -> StoreResult<()> {
    for step in STEPS {
        run_step(conn, step, now)?;
    }
    Ok(())
}

fn run_step(conn: &mut Conn, step: &Step, now: &str) -> StoreResult<()> {
    conn.write(|c| {
        if c.query_one(
            "SELECT name FROM schema_migrations WHERE name = $1",
            &[Val::from(step.mark)],
        )?
        .is_some()
        {
            return Ok(());
        }
        let mut journal: Option<Appender> = None;
        for w in step.tables {
            // Each row's id and the key the journal names it by.
            let rows: Vec<(i64, String)> = c
                .query(
                    &format!("SELECT id, {} FROM {} ORDER BY id", w.key, w.table),
                    &[],
                )?
                .iter()
                .map(|r| {
                    let key = match r.val(w.key)? {
                        Val::Int(i) => i.to_string(),
                        v => v.text().unwrap_or_default().to_string(),
                    };
                    Ok((r.need_int("id")?, key))
                })
                .collect::<StoreResult<_>>()?;
            for (id, key) in rows {
                let last = c.query_blob(
                    "SELECT state_digest FROM journal WHERE entity = $1 AND entity_id = $2 ORDER BY seq DESC LIMIT 1",
                    &[Val::from(w.entity.code()), Val::from(key.as_str())],
                )?;
                let Some(last) = last else { continue };
                let old = if w.old.is_empty() {
                    // A report's old digest: SM3 of its content.
                    c.query_text(
                        &format!("SELECT content FROM {} WHERE id = $1", w.table),
                        &[Val::Int(id)],
                    )?
                    .map(|t| crate::crypto::sm3(t.as_bytes()))
                } else {
                    Some(row_digest(c, w.old, w.table, id)?)
                };
                if old.is_none_or(|old| last != old) {
                    continue;
                }
                let new = row_digest(c, w.new, w.table, id)?;
                if journal.is_none() {
                    journal = Some(Appender::open(c, now.to_string())?);
                }
                if let Some(j) = journal.as_mut() {
                    j.append(Entry {
                        actor: Actor::System(Some("upgrade".into())),
                        action: Action::Rebaseline,
                        entity: w.entity,
                        entity_id: key.clone(),
                        detail: serde_json::json!({ "columns": w.new }).to_string(),
                        state_digest: new,
                    });
                }
            }
        }
        if let Some(mut j) = journal {
            j.flush(c)?;
        }
        c.exec(
            "INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)",
            &[Val::from(step.mark), Val::from(now)],
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::state_digest;
    use crate::{Keys, Problem, Store};
    use probity_domain::account::AccountRole;

    /// Journals `id` of `w` as an older version did: a digest over the old columns.
    fn journal_old_style(store: &Store, w: &Widened, id: i64) {
        let mut conn = store.conn().unwrap();
        conn.write(|c| {
            let r = c
                .query_one(
                    &format!("SELECT {} FROM {} WHERE id = $1", w.old.join(", "), w.table),
                    &[Val::Int(id)],
                )?
                .unwrap();
            let mut j = Appender::open(c, store.now_text())?;
            j.append(Entry {
                actor: Actor::Other("old".into()),
                action: Action::SetRole,
                entity: w.entity,
                entity_id: id.to_string(),
                detail: "{}".into(),
                state_digest: state_digest(&r.values_of(w.old).unwrap()),
            });
            j.flush(c)
        })
        .unwrap();
    }

    fn unmark(store: &Store, step: &Step) {
        store
            .raw_exec(&format!(
                "DELETE FROM schema_migrations WHERE name = '{}'",
                step.mark
            ))
            .unwrap();
    }

    #[test]
    fn accounts_journaled_before_the_contact_joined_are_rebaselined() {
        let store = Store::open("sqlite::memory:", Keys::from_master(&[3u8; 32])).unwrap();
        let a = store
            .create_account(
                "before.contact",
                AccountRole::Hr,
                None,
                "Binhai#2025x",
                "cli:t",
            )
            .unwrap();
        journal_old_style(&store, &STEP_14[0], a.id);
        unmark(&store, &STEPS[1]);
        assert!(store.verify().unwrap().problem.is_some());
        run(&mut store.conn().unwrap(), &store.now_text()).unwrap();
        assert_eq!(store.verify().unwrap().problem, None);
        let history = store.history(Entity::Account, &a.id.to_string()).unwrap();
        assert_eq!(history.last().unwrap().action, "rebaseline");
    }

    #[test]
    fn accounts_journaled_before_the_email_joined_are_rebaselined() {
        let store = Store::open("sqlite::memory:", Keys::from_master(&[3u8; 32])).unwrap();
        let a = store
            .create_account(
                "before.email",
                AccountRole::Hr,
                None,
                "Binhai#2025x",
                "cli:t",
            )
            .unwrap();
        journal_old_style(&store, &STEP_17[0], a.id);
        unmark(&store, &STEPS[2]);
        assert!(store.verify().unwrap().problem.is_some());
        run(&mut store.conn().unwrap(), &store.now_text()).unwrap();
        assert_eq!(store.verify().unwrap().problem, None);
        let history = store.history(Entity::Account, &a.id.to_string()).unwrap();
        assert_eq!(history.last().unwrap().action, "rebaseline");
        // Once: a second start changes nothing.
        let head = store.head_seq().unwrap();
        run(&mut store.conn().unwrap(), &store.now_text()).unwrap();
        assert_eq!(store.head_seq().unwrap(), head);
    }

    #[test]
    fn rows_journaled_over_the_old_columns_are_rebaselined_and_edits_are_not() {
        let store = Store::open("sqlite::memory:", Keys::from_master(&[3u8; 32])).unwrap();
        let a = store
            .create_account("old.one", AccountRole::Hr, None, "Binhai#2025x", "cli:t")
            .unwrap();
        let b = store
            .create_account("old.two", AccountRole::Hr, None, "Binhai#2025x", "cli:t")
            .unwrap();
        // As a version before issue 8 left them: last entries over the first columns, and the
        // marks of both widenings unset.
        journal_old_style(&store, &STEP_9[0], a.id);
        journal_old_style(&store, &STEP_9[0], b.id);
        unmark(&store, &STEPS[0]);
        unmark(&store, &STEPS[1]);
        assert!(
            store.verify().unwrap().problem.is_some(),
            "old digests no longer match"
        );
        // Someone edited one of them behind the platform's back before the upgrade.
        store
            .raw_exec(&format!(
                "UPDATE accounts SET role = 'admin' WHERE id = {}",
                b.id
            ))
            .unwrap();
        run(&mut store.conn().unwrap(), &store.now_text()).unwrap();
        match store.verify().unwrap().problem {
            Some(Problem::Row { entity, id, .. }) => {
                assert_eq!((entity.as_str(), id), ("account", b.id.to_string()));
            }
            other => panic!("the edited row must still be named: {other:?}"),
        }
        // Running again writes nothing (the mark is set); the untouched row was rebaselined.
        store
            .raw_exec(&format!(
                "UPDATE accounts SET role = 'hr' WHERE id = {}",
                b.id
            ))
            .unwrap();
        let head = store.head_seq().unwrap();
        run(&mut store.conn().unwrap(), &store.now_text()).unwrap();
        assert_eq!(store.head_seq().unwrap(), head, "once only");
        let history = store.history(Entity::Account, &a.id.to_string()).unwrap();
        assert_eq!(history.last().unwrap().action, "rebaseline");
        assert_eq!(history.last().unwrap().actor, "system:upgrade");
    }
}
