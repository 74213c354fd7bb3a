//! The numbers on each role's 工作台: what waits for the official, counted within its reach.

use probity_domain::account::AccountRole;
use probity_domain::record::RecordState;
use probity_store::RecordFilter;

use crate::{Actor, App, AppResult};

/// What a role's 工作台 counts. Record counts stop at the `cap` they were asked with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dashboard {
    Provider {
        /// Drafts not sent back.
        drafts: u64,
        /// Drafts the credit office sent back (已退回), counted apart.
        sent_back: u64,
        submitted: u64,
        active: u64,
    },
    CreditOffice {
        submitted: u64,
        records: i64,
        subjects: i64,
        categories: usize,
    },
    Unit {
        own_file: usize,
    },
    Administrator {
        accounts: usize,
    },
    Auditor {
        head_seq: i64,
        accounts: usize,
    },
    Nothing,
}

pub fn of(app: &App, actor: &Actor, cap: u32) -> AppResult<Dashboard> {
    let store = app.store();
    let count = |f: RecordFilter| store.count_records(&f, cap);
    Ok(match actor.role() {
        AccountRole::Provider => {
            let own = |state| RecordFilter {
                provider_id: Some(actor.unit().unwrap_or(-1)),
                state: Some(state),
                ..Default::default()
            };
            let draft = |sent_back| RecordFilter {
                sent_back: Some(sent_back),
                ..own(RecordState::Draft)
            };
            Dashboard::Provider {
                drafts: count(draft(false))?,
                sent_back: count(draft(true))?,
                submitted: count(own(RecordState::Submitted))?,
                active: count(own(RecordState::Active))?,
            }
        }
        AccountRole::Admin => Dashboard::CreditOffice {
            submitted: count(RecordFilter {
                state: Some(RecordState::Submitted),
                ..Default::default()
            })?,
            records: store.record_count()?,
            subjects: store.subject_count()?,
            categories: store.catalog()?.categories().len(),
        },
        AccountRole::Unit => Dashboard::Unit {
            own_file: match actor.unit() {
                Some(u) => store
                    .records_of_subject(u)?
                    .iter()
                    .filter(|r| r.state.in_subject_file())
                    .count(),
                None => 0,
            },
        },
        AccountRole::Sysadmin | AccountRole::Secadmin => Dashboard::Administrator {
            accounts: store.accounts()?.len(),
        },
        AccountRole::Auditor => Dashboard::Auditor {
            head_seq: store.head_seq()?,
            accounts: store.accounts()?.len(),
        },
        AccountRole::Hr | AccountRole::Unassigned => Dashboard::Nothing,
    })
}
