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

/// How far ahead the 待办 panel looks for disclosures about to end.
pub const ENDING_WITHIN_DAYS: i64 = 30;

/// One line of a 待办 panel: what waits, how many, where to handle it, and the first few.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TodoItem {
    pub label: &'static str,
    pub count: u64,
    /// The list that shows all of them.
    pub href: String,
    /// The first few, each as (link, text).
    pub first: Vec<(String, String)>,
}

/// How many of each kind a 待办 panel names.
const FIRST: u32 = 3;

/// The 待办 panel of the actor's 工作台, built from the data within its reach: records sent
/// back, records waiting for review, the actor's uploads waiting to be imported, and
/// disclosures ending within [`ENDING_WITHIN_DAYS`] days. Kinds with nothing waiting are left
/// out; counts stop at `cap`.
pub fn todo(app: &App, actor: &Actor, cap: u32) -> AppResult<Vec<TodoItem>> {
    use crate::access::narrow;
    use probity_domain::authz::reach_on;
    let store = app.store();
    let role = actor.role();
    // The 工作台 is every account's page, so the reach it was opened with is everyone's: the
    // panel lists records with the reach the role has on the record pages it links to.
    let Some(reach) = reach_on("GET", "/console/records/{id}", role) else {
        return Ok(Vec::new());
    };
    let on_records = Actor::new(actor.account.clone(), reach);
    let actor = &on_records;
    // Where a role's lists are: the record list, or an assessed unit's own file.
    let list = |query: &str| {
        if reach_on("GET", "/console/records", role).is_some() {
            format!("/console/records?{query}")
        } else {
            "/console/file".to_string()
        }
    };
    let mut items = Vec::new();
    let mut records = |label: &'static str,
                       href: String,
                       mut f: RecordFilter,
                       note: fn(&probity_store::StoredRecord, chrono::NaiveDate) -> String|
     -> AppResult<()> {
        narrow(store, actor, &mut f)?;
        let count = store.count_records(&f, cap)?;
        if count == 0 {
            return Ok(());
        }
        let today = app.today();
        let first = store
            .list_records(&f, probity_store::RecordOrder::Oldest, None, FIRST)?
            .iter()
            .map(|r| {
                (
                    format!("/console/records/{}", r.id),
                    format!("#{} {}：{}", r.id, r.subject_name, note(r, today)),
                )
            })
            .collect();
        items.push(TodoItem {
            label,
            count,
            href,
            first,
        });
        Ok(())
    };
    if role == AccountRole::Provider {
        records(
            "被退回待修改",
            "/console/records?state=sent_back".into(),
            RecordFilter {
                state: Some(RecordState::Draft),
                sent_back: Some(true),
                ..Default::default()
            },
            |r, _| format!("退回理由：{}", r.sent_back.as_deref().unwrap_or("")),
        )?;
    }
    if matches!(role, AccountRole::Provider | AccountRole::Admin) {
        let (label, href) = if role == AccountRole::Admin {
            ("待审核", "/console/review".to_string())
        } else {
            (
                "已报送，等待信用办审核",
                "/console/records?state=submitted".to_string(),
            )
        };
        records(
            label,
            href,
            RecordFilter {
                state: Some(RecordState::Submitted),
                ..Default::default()
            },
            |r, today| {
                let days = (today - probity_domain::date::beijing_date(r.first_seen)).num_days();
                if days > 0 {
                    format!("已等待 {days} 天")
                } else {
                    "今天报送".to_string()
                }
            },
        )?;
    }
    if matches!(
        role,
        AccountRole::Provider | AccountRole::Admin | AccountRole::Unit
    ) {
        let by = app.today() + chrono::TimeDelta::days(ENDING_WITHIN_DAYS);
        records(
            "公示将在 30 天内到期",
            list(&format!("state=active&ending={ENDING_WITHIN_DAYS}")),
            RecordFilter {
                state: Some(RecordState::Active),
                disclosure_until_by: Some(by),
                ..Default::default()
            },
            |r, _| format!("公示截止 {}", r.disclosure_until),
        )?;
    }
    if matches!(role, AccountRole::Provider | AccountRole::Admin) {
        let waiting: Vec<crate::jobs::Upload> = crate::jobs::own_list(app, actor, 100)?
            .into_iter()
            .filter(|u| matches!(u.stage, crate::jobs::Stage::Ready(_)))
            .collect();
        if !waiting.is_empty() {
            items.push(TodoItem {
                label: "已上传、尚未导入的文件",
                count: waiting.len() as u64,
                href: "/console/upload".into(),
                first: waiting
                    .iter()
                    .take(FIRST as usize)
                    .map(|u| (format!("/console/upload/{}", u.id), u.file_name.clone()))
                    .collect(),
            });
        }
    }
    Ok(items)
}
