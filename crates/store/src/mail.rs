//! The e-mail outbox (邮件通知): how far the mail has gone through the notifications the cases
//! write (`cases::Cases::notify`), and who a notification's mail goes to. The notifications are
//! the outbox: each is mailed after the one before it, and the position (the last notification
//! done, and within the next one the last account it reached) is kept in `clock_positions`
//! beside the cases' clock, so that a failed round picks up where it stopped and nothing is
//! mailed twice to one account.
//!
//! Notification ids are drawn inside the write transaction, which holds the writers' lock (SQLite
//! `BEGIN IMMEDIATE`, PostgreSQL's advisory lock) until it commits: what a reader sees of them is
//! always every id up to some point, so a position on them skips none.
//!
//! Two nodes may run the mail at once: a lease (`mail.lease`, the Unix second it ends) lets one
//! deliver while the other waits for the next round; every step forward renews it and fails once
//! it is lost, so that a node that was too slow stops instead of mailing what the other one does.

use probity_domain::account::AccountRole;

use crate::Store;
use crate::db::{Conn, Val, placeholders};
use crate::error::StoreResult;

/// The last notification mailed to everyone.
const POSITION: &str = "mail";
/// Within the notification after `POSITION`, the last account (by id) it was mailed to.
const ACCOUNT: &str = "mail.account";
/// Until when (Unix seconds) one node holds the delivery; 0 when nobody does.
const LEASE: &str = "mail.lease";

/// How far the mail has gone: every notification up to `notification` is done, and the next one
/// has reached the accounts up to `account` (0: none yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailPosition {
    pub notification: i64,
    pub account: i64,
}

/// A notification waiting for its mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingNotification {
    pub id: i64,
    /// The unit whose accounts it is for; `None` for the credit office.
    pub unit_id: Option<i64>,
    pub case_id: Option<i64>,
    pub message: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// An account a notification is mailed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub account_id: i64,
    pub name: String,
    pub email: String,
}

/// Sets `name` to `seq` unless it is set already.
fn start(c: &mut Conn, name: &str, seq: &str) -> StoreResult<()> {
    c.exec(
        &format!(
            "INSERT INTO clock_positions (name, seq) SELECT $1, ({seq}) \
             WHERE NOT EXISTS (SELECT 1 FROM clock_positions WHERE name = $1)"
        ),
        &[Val::from(name)],
    )?;
    Ok(())
}

fn position_of(c: &mut Conn, name: &str) -> StoreResult<Option<i64>> {
    c.query_int(
        "SELECT seq FROM clock_positions WHERE name = $1",
        &[Val::from(name)],
    )
}

impl Store {
    /// How far the mail has gone. The first time mail runs it starts after the newest
    /// notification, so that a backlog from before mail was configured is not sent at once;
    /// after that this only reads.
    pub fn mail_position(&self) -> StoreResult<MailPosition> {
        let mut conn = self.conn()?;
        if let (Some(notification), Some(account)) = (
            position_of(&mut conn, POSITION)?,
            position_of(&mut conn, ACCOUNT)?,
        ) {
            return Ok(MailPosition {
                notification,
                account,
            });
        }
        conn.write(|c| {
            start(
                c,
                POSITION,
                "SELECT COALESCE(MAX(id), 0) FROM notifications",
            )?;
            start(c, ACCOUNT, "SELECT 0")?;
            start(c, LEASE, "SELECT 0")?;
            Ok(MailPosition {
                notification: position_of(c, POSITION)?.unwrap_or(0),
                account: position_of(c, ACCOUNT)?.unwrap_or(0),
            })
        })
    }

    /// Takes the delivery until `until` (Unix seconds) if nobody holds it at `now`; false when
    /// another node does.
    pub fn claim_mail(&self, now: i64, until: i64) -> StoreResult<bool> {
        let mut conn = self.conn()?;
        conn.write(|c| {
            start(c, LEASE, "SELECT 0")?;
            let n = c.exec(
                "UPDATE clock_positions SET seq = $2 WHERE name = $1 AND seq <= $3",
                &[Val::from(LEASE), Val::Int(until), Val::Int(now)],
            )?;
            Ok(n == 1)
        })
    }

    /// Gives the delivery back, if the lease ending at `held` is still ours.
    pub fn release_mail(&self, held: i64) -> StoreResult<()> {
        self.conn()?.exec(
            "UPDATE clock_positions SET seq = 0 WHERE name = $1 AND seq = $2",
            &[Val::from(LEASE), Val::Int(held)],
        )?;
        Ok(())
    }

    /// Moves the mail's position to `to` and renews the lease ending at `held` to `renew`, in
    /// one write; false (and nothing written) when the lease is no longer ours.
    pub fn advance_mail(&self, to: MailPosition, held: i64, renew: i64) -> StoreResult<bool> {
        let mut conn = self.conn()?;
        conn.write(|c| {
            let ours = c.exec(
                "UPDATE clock_positions SET seq = $2 WHERE name = $1 AND seq = $3",
                &[Val::from(LEASE), Val::Int(renew), Val::Int(held)],
            )?;
            if ours != 1 {
                return Ok(false);
            }
            for (name, seq) in [(POSITION, to.notification), (ACCOUNT, to.account)] {
                c.exec(
                    "UPDATE clock_positions SET seq = $2 WHERE name = $1",
                    &[Val::from(name), Val::Int(seq)],
                )?;
            }
            Ok(true)
        })
    }

    /// The notifications after `after`, oldest first, at most `limit`.
    pub fn notifications_after(
        &self,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<PendingNotification>> {
        let mut c = self.conn()?;
        c.query(
            &format!(
                "SELECT id, unit_id, case_id, message, created_at FROM notifications \
                 WHERE id > $1 ORDER BY id LIMIT {}",
                limit.clamp(1, 10_000)
            ),
            &[Val::Int(after)],
        )?
        .iter()
        .map(|r| {
            Ok(PendingNotification {
                id: r.need_int("id")?,
                unit_id: r.int("unit_id")?,
                case_id: r.int("case_id")?,
                message: r.need_text("message")?.to_string(),
                created_at: r.time("created_at")?,
            })
        })
        .collect()
    }

    /// The enabled accounts of `roles` with an e-mail address: those of `unit` when it is given,
    /// in id order (the order the mail reaches them in).
    pub fn mail_recipients(
        &self,
        unit: Option<i64>,
        roles: &[AccountRole],
    ) -> StoreResult<Vec<Recipient>> {
        if roles.is_empty() {
            return Ok(Vec::new());
        }
        let mut params: Vec<Val> = roles.iter().map(|r| Val::from(r.code())).collect();
        let mut sql = format!(
            "SELECT id, name, email FROM accounts WHERE disabled = 0 AND email <> '' \
             AND role IN ({})",
            placeholders(1, roles.len())
        );
        if let Some(u) = unit {
            params.push(Val::Int(u));
            sql.push_str(&format!(" AND unit_id = ${}", params.len()));
        }
        sql.push_str(" ORDER BY id");
        let mut c = self.conn()?;
        c.query(&sql, &params)?
            .iter()
            .map(|r| {
                Ok(Recipient {
                    account_id: r.need_int("id")?,
                    name: r.need_text("name")?.to_string(),
                    email: r.need_text("email")?.to_string(),
                })
            })
            .collect()
    }
}
