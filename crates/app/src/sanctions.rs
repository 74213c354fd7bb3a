//! The credit check (信用核查, `POST /api/v1/sanctions/check`): before an honour, a 优秀 rating,
//! an appointment or funding, the asking department checks the subject against the joint
//! rewards and sanctions rules (DESIGN.md §4, §5). The rules are the domain's
//! (`probity_domain::sanction`); this use case finds the subject, reads its records' facts,
//! applies the shipped measures and rules with the current catalog, and logs the check with its
//! number.

use probity_domain::disclosure::mask_name;
use probity_domain::ident::IdNumber;
use probity_domain::sanction::{self, CheckOutcome, Measures, Purpose, Rules, SubjectFacts};
use probity_domain::subject::SubjectKind;
use probity_store::{NewSanctionCheck, StoreError, Subject};

use crate::{Actor, App, AppError, AppResult};

/// The years a check may be asked for.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// What a check answered.
#[derive(Debug, Clone)]
pub struct Checked {
    /// 核查编号, `HC20261203-0001`.
    pub check_no: String,
    pub subject_id: i64,
    /// The subject's name; a civil servant's masked as the public sees it.
    pub subject_name: String,
    pub subject_kind: SubjectKind,
    pub purpose: Purpose,
    pub year: i32,
    pub outcome: CheckOutcome,
}

/// Checks `subject` (a USCC, an ID number or a subject id) for `purpose` in `year`, and logs
/// the check. A refused request (an unknown purpose, a year out of range, an unknown subject)
/// is not logged.
pub fn check(
    app: &App,
    actor: &Actor,
    subject: &str,
    purpose: &str,
    year: i32,
) -> AppResult<Checked> {
    let purpose = Purpose::parse(purpose).map_err(|e| AppError::from(e).at("purpose"))?;
    if !YEARS.contains(&year) {
        return Err(AppError::BadInput {
            code: "YEAR_INVALID",
            message: format!(
                "核查年度应在 {} 到 {} 之间，收到的是 {year}",
                YEARS.start(),
                YEARS.end()
            ),
        }
        .at("year"));
    }
    let s = find_subject(app, subject)?;
    let store = app.store();
    let catalog = store.catalog()?;
    let measures = Measures::shipped();
    let rules = Rules::shipped(&measures, &catalog).map_err(|errs| {
        AppError::Other(format!(
            "联合奖惩规则与当前目录不一致：{}",
            errs.iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("；")
        ))
    })?;
    let facts = SubjectFacts {
        kind: s.kind,
        records: store.sanction_facts(s.id)?,
    };
    let outcome = sanction::check(&measures, &rules, &catalog, &facts, purpose, year);
    let answer = serde_json::to_string(&outcome).map_err(|e| AppError::Other(e.to_string()))?;
    let logged = store.log_sanction_check(&NewSanctionCheck {
        actor: &actor.name(),
        purpose: purpose.code(),
        subject_id: s.id,
        year,
        decision: outcome.decision.code(),
        answer: &answer,
    })?;
    let subject_name = if s.kind == SubjectKind::CivilServant {
        mask_name(&s.name)
    } else {
        s.name.clone()
    };
    Ok(Checked {
        check_no: logged.check_no,
        subject_id: s.id,
        subject_name,
        subject_kind: s.kind,
        purpose,
        year,
        outcome,
    })
}

/// The subject a check names: a civil servant by ID number (through its keyed hash), a unit by
/// USCC, or any subject by its id. The reference is never echoed (it may be an ID number).
fn find_subject(app: &App, reference: &str) -> AppResult<Subject> {
    let r = reference.trim();
    let not_found =
        || AppError::NotFound("未找到该主体：请核对统一社会信用代码、身份证号或主体编号".into());
    let store = app.store();
    // An ID number first; a code that reads as one but names no civil servant may still be a
    // unit's USCC (both are 18 characters).
    if let Ok(id_number) = IdNumber::parse(r)
        && let Some(s) = store.find_civil_servant(&id_number)?
    {
        return Ok(s);
    }
    if !r.is_empty() && r.len() < 18 && r.bytes().all(|b| b.is_ascii_digit()) {
        let id: i64 = r.parse().map_err(|_| not_found())?;
        return match store.subject(id) {
            Ok(s) => Ok(s),
            Err(StoreError::NotFound(_)) => Err(not_found()),
            Err(e) => Err(e.into()),
        };
    }
    if r.chars().count() == 18 {
        return match store.find_unit(r) {
            Ok(s) => Ok(s),
            Err(StoreError::Domain(_) | StoreError::NotFound(_)) => Err(not_found()),
            Err(e) => Err(e.into()),
        };
    }
    Err(not_found())
}
