//! The platform's clocks, run once as of a day: `probity tick [--today DATE]` and the daily round
//! `serve` keeps (`Ticker`): the expiry of disclosure periods (a record past its period's last day
//! becomes 已到期 (`expire`, by the system, journaled) the next day, so that the console's lists,
//! filters, counts and a unit's file agree with what the public side shows), then the cases'
//! deadline clock (`cases::clock`: due soon, overdue, escalated, notified; the rectification
//! cases of records activated since its last round), then the commitments' clock
//! (`commitments::clock`: procurement arrears past the grace drafted as records).
//!
//! One node runs the clocks at a time (a lease in the database); running them twice changes
//! nothing the second time: each record is read again inside the write that expires it, and one
//! no longer active is left alone; a case's mark is written only when it changes.

use chrono::NaiveDate;
use probity_domain::audit::Actor;
use probity_domain::expiry::{capped_before, is_due, last_day};
use probity_domain::record::{Action, RecordState, Role};

use crate::{App, AppError, AppResult};

/// Records expired in one write: a day's expiries commit in steps, each with its journal entries.
const PER_WRITE: usize = 500;

/// What one round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub today: NaiveDate,
    /// Records that became 已到期.
    pub expired: usize,
    /// The cases' deadline clock: rectifications opened, cases due soon and overdue.
    pub cases: crate::cases::ClockReport,
    /// The commitments' clock: arrears drafted as records, contracts due soon and overdue.
    pub commitments: crate::commitments::ClockReport,
}

impl std::fmt::Display for TickReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.cases;
        write!(
            f,
            "截至 {}：公示期满转为已到期的记录 {} 条；新开整改案件 {} 件，即将到期 {} 件，逾期 {} 件",
            self.today, self.expired, c.rectifications_opened, c.due_soon, c.overdue
        )?;
        if c.uncounted > 0 {
            write!(
                f,
                "；{} 件案件的期限因工作日历缺少年份未能计算",
                c.uncounted
            )?;
        }
        let m = &self.commitments;
        write!(
            f,
            "；采购合同即将到期 {} 份，逾期 {} 份，起草拖欠账款记录 {} 条",
            m.due_soon, m.overdue, m.drafted
        )?;
        if m.undrafted > 0 {
            write!(f, "（{} 份合同未能起草，见日志）", m.undrafted)?;
        }
        Ok(())
    }
}

/// The lease that lets one node at a time run the clocks (`clock_positions`).
const LEASE: &str = "clocks.lease";
/// How long a round may hold it: a node that stopped mid-round leaves the clocks to the others
/// after this.
const LEASE_SECS: i64 = 30 * 60;

/// Runs every clock once as of `today`, one node at a time: while another node (or a `probity
/// tick` from cron) runs them, this one is refused with `CLOCKS_BUSY` and changes nothing.
pub fn run(app: &App, today: NaiveDate) -> AppResult<TickReport> {
    let store = app.store();
    let now = app.now().timestamp();
    let held = now + LEASE_SECS;
    if !store.claim_lease(LEASE, now, held)? {
        return Err(AppError::Invalid {
            code: "CLOCKS_BUSY",
            message: "每日时钟正在另一节点运行，本次未运行；稍后再试".into(),
        });
    }
    let done = expire(app, today).and_then(|expired| {
        Ok(TickReport {
            today,
            expired,
            cases: crate::cases::clock(app, today)?,
            commitments: crate::commitments::clock(app, today)?,
        })
    });
    if let Err(e) = store.release_lease(LEASE, held) {
        tracing::warn!(error = %e, "the clocks' lease not given back; it runs out by itself");
    }
    done
}

/// Expires every active record whose disclosure period ended before `today`.
fn expire(app: &App, today: NaiveDate) -> AppResult<usize> {
    let store = app.store();
    let catalog = store.catalog()?;
    let mut due = Vec::new();
    store.visit_expirable_periods(today, &capped_before(&catalog, today), |p| {
        // A category gone from the catalog: the record's own end date alone.
        let bounds = catalog
            .get(&p.category)
            .map(|c| c.bounds(p.severity))
            .unwrap_or(probity_domain::catalog::DisclosureBounds {
                min_months: 0,
                max_months: 0,
            });
        let last = last_day(p.decided_on, p.disclosure_until, bounds);
        if is_due(RecordState::Active, last, today) {
            due.push((p.id, last));
        }
        Ok(())
    })?;
    // In id order, as the journal has always listed a day's expiries.
    due.sort_unstable();
    let actor = Actor::System(Some("expiry".into())).to_string();
    let mut expired = 0;
    for chunk in due.chunks(PER_WRITE) {
        expired += store.write(|tx| -> probity_store::StoreResult<usize> {
            let mut n = 0;
            for (id, last) in chunk {
                // Another node, or an official, may have moved it since it was read.
                if tx.records().get(*id)?.state != RecordState::Active {
                    continue;
                }
                let reason = format!("公示期满（最后一日 {last}）");
                tx.records().transition(
                    *id,
                    Action::Expire,
                    Role::System,
                    None,
                    &[],
                    &actor,
                    &reason,
                )?;
                n += 1;
            }
            Ok(n)
        })?;
    }
    if expired > 0 {
        tracing::info!(%today, expired, "disclosure periods ended: records expired");
    }
    Ok(expired)
}

/// The daily round in `serve`: runs the clocks when it starts and again whenever the Beijing date
/// has changed (looked at every `check_every`). A failed round is logged and tried again at the
/// next check.
pub struct Ticker(crate::periodic::Periodic);

impl Ticker {
    pub fn start(app: App, check_every: std::time::Duration) -> Ticker {
        let mut done: Option<NaiveDate> = None;
        Ticker(crate::periodic::Periodic::start(
            "daily-clocks",
            check_every,
            move || {
                let today = app.today();
                if done != Some(today) {
                    match run(&app, today) {
                        Ok(_) => done = Some(today),
                        // Another node runs them now; looked at again at the next check.
                        Err(AppError::Invalid {
                            code: "CLOCKS_BUSY",
                            ..
                        }) => tracing::info!("daily clocks running on another node"),
                        Err(e) => tracing::error!(error = %e, "daily clocks failed"),
                    }
                }
            },
        ))
    }

    /// Stops the thread after its current round.
    pub fn stop(self) {
        self.0.stop();
    }
}
