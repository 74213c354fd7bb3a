//! Cases with deadlines, on one engine: objections (异议), credit repair (信用修复), written
//! explanation and rectification (书面说明并限期整改), complaints (投诉举报) and disputes of an
//! assessment result (考核结果异议, opened in `assessment_dispute`). Each use case
//! here opens a case or takes one step on it: it works out which party the actor is, asks the
//! kind's rules in `probity_domain::case` whether the step is allowed and where the case goes,
//! counts the new deadline on the working-day calendar, and writes the step, its history line,
//! its attachments, its consequence for the record (frozen as 异议处理中, revoked, back in
//! force, repaired) and its notifications as one unit of work.

use std::collections::HashMap;

use chrono::NaiveDate;
use probity_domain::account::AccountRole;
use probity_domain::attachment;
use probity_domain::calendar::Calendar;
use probity_domain::case::complaint::{self, ComplaintInput};
use probity_domain::case::objection::CorrectionInput;
use probity_domain::case::repair::{self, RepairApplication};
use probity_domain::case::{
    self, Assign, CaseAction, CaseKind, Deadlines, DueStatus, Outcome, Party, objection,
    rectification,
};
use probity_domain::disclosure::public_text;
use probity_domain::record::{Action, RecordState, Role};
use probity_domain::subject::SubjectKind;
use probity_domain::{Code, DomainError};
use probity_store::{
    Applicant, AttachmentMeta, CaseChange, CaseEvent, CaseFilter, NewAttachment, NewCase, NewStep,
    StoreError, StoredCase, StoredRecord, Subject,
};

use crate::access::visible_record;
use crate::{Actor, App, AppError, AppResult};

/// The name the case engine's thresholds are saved under (`settings`).
const DEADLINES_SETTING: &str = "case_deadlines";

/// The case engine's thresholds (working days; the repair periods in months): the credit
/// office's, or the defaults of the rules (Order No. 36, DESIGN.md) until it saves its own.
pub fn deadlines(app: &App) -> AppResult<Deadlines> {
    Ok(deadlines_saved(app)?.0)
}

/// The thresholds and when the credit office last saved them (`None`: the defaults).
pub fn deadlines_saved(app: &App) -> AppResult<(Deadlines, Option<String>)> {
    match app.store().setting(DEADLINES_SETTING)? {
        None => Ok((Deadlines::default(), None)),
        Some(s) => {
            let d: Deadlines = serde_json::from_str(&s.body)
                .map_err(|e| AppError::Other(format!("已保存的案件期限设置无法解析：{e}")))?;
            Ok((d, Some(s.updated_at)))
        }
    }
}

/// The credit office sets the case engine's thresholds: every problem at once, each at its
/// field, nothing saved when one is wrong. Deadlines already counted stay as they are; the new
/// ones count from the next step. Returns whether anything changed (journaled with the old and
/// the new values of what changed).
pub fn set_deadlines(app: &App, actor: &Actor, d: Deadlines) -> AppResult<bool> {
    if actor.role() != AccountRole::Admin {
        return Err(AppError::Forbidden("只有信用办可以设置案件期限".into()));
    }
    d.validate().map_err(AppError::Fields)?;
    let old = deadlines(app)?;
    let changed: Vec<serde_json::Value> = old
        .fields()
        .into_iter()
        .zip(d.fields())
        .filter(|(a, b)| a.3 != b.3)
        .map(|(a, b)| serde_json::json!({ "field": a.0, "from": a.3, "to": b.3 }))
        .collect();
    if changed.is_empty() && app.store().setting(DEADLINES_SETTING)?.is_some() {
        return Ok(false);
    }
    let body = serde_json::to_string(&d).map_err(|e| AppError::Other(e.to_string()))?;
    let detail = serde_json::json!({ "changed": changed }).to_string();
    let who = actor.name();
    Ok(app
        .store()
        .write(|tx| tx.settings().save(DEADLINES_SETTING, &body, &who, &detail))?)
}

/// A file sent with a step, not yet checked.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The most files one step carries.
pub const MAX_FILES_PER_STEP: usize = 5;

/// Every file checked by content and size (the first refusal names the file), ready to store.
fn checked(files: Vec<Upload>) -> AppResult<Vec<NewAttachment>> {
    if files.len() > MAX_FILES_PER_STEP {
        return Err(AppError::Invalid {
            code: "TOO_MANY_FILES",
            message: format!("每次最多上传 {MAX_FILES_PER_STEP} 个附件"),
        });
    }
    files
        .into_iter()
        .map(|f| {
            let kind = attachment::check(&f.file_name, &f.bytes)?;
            Ok(NewAttachment {
                file_name: attachment::safe_file_name(&f.file_name),
                kind: kind.code().to_string(),
                bytes: f.bytes,
            })
        })
        .collect()
}

/// Which party the actor is on this case, or `None` when the case is none of its business. The
/// credit office acts as itself whoever holds the case (the rules let it act where the case is
/// with it); a unit holds the case, applied for it, or reads it as an observer: the unit a
/// record's case is about, or one that held the case before (a complaint is the business of the
/// unit complained about only once it is routed there).
fn party_of(app: &App, actor: &Actor, c: &StoredCase) -> AppResult<Option<Party>> {
    if actor.role() == AccountRole::Admin {
        return Ok(Some(Party::CreditOffice));
    }
    let Some(unit) = actor.unit() else {
        return Ok(None);
    };
    Ok(if c.assignee_unit == Some(unit) {
        Some(Party::Assignee)
    } else if c.applicant == Applicant::Unit(unit) {
        Some(Party::Applicant)
    } else if (c.subject_id == Some(unit) && c.kind != CaseKind::Complaint)
        || app.store().case_held_by(c.id, unit)?
    {
        Some(Party::Observer)
    } else {
        None
    })
}

/// The case, if the actor may see it; another's case answers like a missing one.
fn visible(app: &App, actor: &Actor, id: i64) -> AppResult<(StoredCase, Party)> {
    let c = app.store().case(id)?;
    match party_of(app, actor, &c)? {
        Some(p) => Ok((c, p)),
        None => Err(AppError::NotFound(format!("未找到：案件 {id}"))),
    }
}

/// The unit a record is about, for its cases: the record's subject, or a civil servant's unit.
fn unit_of(app: &App, r: &StoredRecord) -> AppResult<(Subject, Option<i64>)> {
    let s = app.store().subject(r.subject_id)?;
    let unit = if s.kind == SubjectKind::CivilServant {
        s.unit_id
    } else {
        Some(s.id)
    };
    Ok((s, unit))
}

fn title_of(app: &App, r: &StoredRecord) -> AppResult<String> {
    Ok(title_in(&app.store().catalog()?, r))
}

/// A case's title about a record: its subject, its category's name and its document number.
fn title_in(catalog: &probity_domain::catalog::Catalog, r: &StoredRecord) -> String {
    let category = catalog
        .get(&r.category)
        .map_or(r.category.clone(), |c| c.name.clone());
    format!("{}：{}（{}）", r.subject_name, category, r.document_no)
}

fn calendar(app: &App) -> AppResult<Calendar> {
    Ok(app.store().calendar()?)
}

/// A refusal in the domain's words.
fn refuse(code: Code, message: impl Into<String>) -> AppError {
    AppError::Domain(DomainError::new(code, message))
}

/// A store error raised inside a unit of work, kept as the use case's refusal.
fn from_store(e: StoreError) -> AppError {
    AppError::from(e)
}

// ---------------------------------------------------------------------------------------------
// Opening

/// A unit objects to one of its own records or one of its civil servants' (from its file): the
/// record is frozen as 异议处理中 and the provider must answer within the deadline.
pub fn object(
    app: &App,
    actor: &Actor,
    record_id: i64,
    reasons: &str,
    files: Vec<Upload>,
) -> AppResult<StoredCase> {
    if reasons.trim().is_empty() {
        return Err(AppError::Fields(vec![probity_domain::record::FieldError {
            column: "reasons",
            error: DomainError::new(Code::Required, "请填写异议理由：记录哪里有误，依据是什么"),
        }]));
    }
    let reasons = CaseAction::Comment
        .check_text(reasons)
        .map_err(|e| AppError::from(e).at("reasons"))?
        .unwrap_or_default();
    let files = checked(files)?;
    let r = visible_record(app.store(), actor, record_id)?;
    objection::may_object(r.state)?;
    let (_, unit) = unit_of(app, &r)?;
    let d = deadlines(app)?;
    let today = app.today();
    let opening = case::rules(CaseKind::Objection).opening(&d, None);
    let deadline = opening.deadline(&calendar(app)?, today)?;
    let title = title_of(app, &r)?;
    let lineage = match actor.unit() {
        Some(u) => app.store().lineage(u)?,
        None => Vec::new(),
    };
    let who = actor.name();
    let role = actor
        .role()
        .record_role()
        .ok_or_else(|| AppError::Forbidden("无权对记录提出异议".into()))?;
    app.store().write(|tx| -> AppResult<StoredCase> {
        let now = objectable_in(tx, record_id)?;
        // A civil servant's record: the unit acts for its own civil servant.
        let acting_lineage = if lineage.contains(&now.subject_id) {
            lineage.clone()
        } else {
            let mut l = lineage.clone();
            l.push(now.subject_id);
            l
        };
        tx.records()
            .transition(
                record_id,
                Action::Object,
                role,
                actor.unit(),
                &acting_lineage,
                &who,
                &format!("提出异议：{reasons}"),
            )
            .map_err(from_store)?;
        let c = tx.cases().open(
            &NewCase {
                kind: CaseKind::Objection,
                state: opening.state,
                record_id: Some(record_id),
                subject_id: unit,
                applicant: match actor.unit() {
                    Some(u) if actor.role() != AccountRole::Admin => Applicant::Unit(u),
                    _ => Applicant::CreditOffice,
                },
                assignee_unit: Some(now.provider_id),
                deadline,
                title: title.clone(),
                text: reasons.clone(),
                tracking_no: None,
                code_hash: None,
                channel: None,
                contact: None,
                detail: serde_json::json!({}),
            },
            &who,
            Party::Applicant.code(),
            files,
        )?;
        tx.cases().notify(
            Some(now.provider_id),
            Some(c.id),
            &format!("收到异议：{title}，请于 {} 前答复", date_text(deadline)),
        )?;
        Ok(c)
    })
}

/// A deadline as people read it: the date, or a dash when there is none.
pub fn date_text(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "—".into(), |d| d.to_string())
}

/// A unit applies to repair one of its records (or one of its civil servants'): the category's
/// conditions are checked first (repairable; the minimum disclosure period served), then the
/// credit office decides within the deadline.
pub fn apply_repair(
    app: &App,
    actor: &Actor,
    record_id: i64,
    application: &RepairApplication,
    files: Vec<Upload>,
) -> AppResult<StoredCase> {
    let application = application.validate().map_err(AppError::Fields)?;
    let files = checked(files)?;
    let r = visible_record(app.store(), actor, record_id)?;
    let catalog = app.store().catalog()?;
    let category = catalog.get(&r.category).ok_or_else(|| {
        refuse(
            Code::UnknownCategory,
            format!("记录类别 {} 已不在目录中", r.category),
        )
    })?;
    let d = deadlines(app)?;
    let today = app.today();
    repair::eligibility(category, r.severity, r.decided_on, today, &d)?;
    repair::may_repair(r.state)?;
    let (_, unit) = unit_of(app, &r)?;
    let opening = case::rules(CaseKind::Repair).opening(&d, Some(category));
    let deadline = opening.deadline(&calendar(app)?, today)?;
    let title = title_of(app, &r)?;
    let who = actor.name();
    app.store().write(|tx| -> AppResult<StoredCase> {
        if tx
            .cases()
            .open_for_record(record_id, CaseKind::Repair)?
            .is_some()
        {
            return Err(refuse(
                Code::IllegalTransition,
                "该记录已有正在办理的信用修复申请，不能重复申请",
            ));
        }
        repair::may_repair(tx.records().get(record_id)?.state)?;
        let c = tx.cases().open(
            &NewCase {
                kind: CaseKind::Repair,
                state: opening.state,
                record_id: Some(record_id),
                subject_id: unit,
                applicant: actor
                    .unit()
                    .map_or(Applicant::CreditOffice, Applicant::Unit),
                assignee_unit: None,
                deadline,
                title: title.clone(),
                text: application.statement.clone(),
                tracking_no: None,
                code_hash: None,
                channel: None,
                contact: None,
                detail: serde_json::json!({
                    "commitment_signed": application.commitment_signed,
                    "obligations_fulfilled": application.obligations_fulfilled,
                }),
            },
            &who,
            Party::Applicant.code(),
            files,
        )?;
        tx.cases().notify(
            None,
            Some(c.id),
            &format!(
                "收到信用修复申请：{title}，请于 {} 前作出决定",
                date_text(deadline)
            ),
        )?;
        Ok(c)
    })
}

/// Opens the rectification case of an active dishonest record about a unit, unless it has one:
/// the unit explains and rectifies within the category's deadline. Returns the case opened.
pub fn open_rectification(
    app: &App,
    record_id: i64,
    today: NaiveDate,
) -> AppResult<Option<StoredCase>> {
    let mut opened = open_rectifications(app, &[record_id], today)?;
    if let Some(stalled) = opened.stalled {
        return Err(stalled);
    }
    Ok(opened.cases.pop())
}

/// What one batch of rectification openings did.
#[derive(Debug)]
pub struct RectificationsOpened {
    /// The cases opened.
    pub cases: Vec<StoredCase>,
    /// Where the batch stopped, if it did: the index of the first record whose deadline could
    /// not be counted, and why (a year missing from the calendar). The records before it were
    /// dealt with.
    pub stalled_at: usize,
    pub stalled: Option<AppError>,
}

/// Opens the rectification cases the listed records call for, as `open_rectification` does for
/// one, reading the catalog, the deadlines and the calendar once and writing the batch as one
/// unit of work (the deadline clock's catch-up over a day's activations). A record gone, no
/// longer active or not calling for one is passed over.
pub fn open_rectifications(
    app: &App,
    record_ids: &[i64],
    today: NaiveDate,
) -> AppResult<RectificationsOpened> {
    let store = app.store();
    let catalog = store.catalog()?;
    let d = deadlines(app)?;
    let cal = calendar(app)?;
    let mut due = Vec::new();
    let mut stalled = None;
    let mut stalled_at = record_ids.len();
    for (i, &id) in record_ids.iter().enumerate() {
        let r = match store.record(id) {
            Ok(r) => r,
            Err(StoreError::NotFound(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        let s = store.subject(r.subject_id)?;
        if r.state != RecordState::Active
            || !rectification::opens_for(r.kind, Action::Activate, s.kind)
        {
            continue;
        }
        let opening = case::rules(CaseKind::Rectification).opening(&d, catalog.get(&r.category));
        let deadline = match opening.deadline(&cal, today) {
            Ok(x) => x,
            Err(e) => {
                stalled = Some(AppError::from(e));
                stalled_at = i;
                break;
            }
        };
        let title = title_in(&catalog, &r);
        due.push((r.id, s.id, opening.state, deadline, title));
    }
    let actor = probity_domain::audit::Actor::System(Some("rectification".into())).to_string();
    let cases = if due.is_empty() {
        Vec::new()
    } else {
        store.write(|tx| -> AppResult<Vec<StoredCase>> {
            let mut opened = Vec::new();
            for (record_id, unit, state, deadline, title) in &due {
                if tx
                    .cases()
                    .any_for_record(*record_id, CaseKind::Rectification)?
                {
                    continue;
                }
                let c = tx.cases().open(
                    &NewCase {
                        kind: CaseKind::Rectification,
                        state: *state,
                        record_id: Some(*record_id),
                        subject_id: Some(*unit),
                        applicant: Applicant::System,
                        assignee_unit: Some(*unit),
                        deadline: *deadline,
                        title: title.clone(),
                        text: "记录生效，请书面说明原因并限期整改".into(),
                        tracking_no: None,
                        code_hash: None,
                        channel: None,
                        contact: None,
                        detail: serde_json::json!({}),
                    },
                    &actor,
                    Party::System.code(),
                    Vec::new(),
                )?;
                tx.cases().notify(
                    Some(*unit),
                    Some(c.id),
                    &format!(
                        "失信记录生效：{title}，请于 {} 前提交书面说明和整改报告",
                        date_text(*deadline)
                    ),
                )?;
                opened.push(c);
            }
            Ok(opened)
        })?
    };
    Ok(RectificationsOpened {
        cases,
        stalled_at,
        stalled,
    })
}

/// The MAC a public form's challenge (its proof-of-work) is signed with: the platform's key, so
/// that every `serve` node accepts what another issued.
pub fn challenge_mac(app: &App, message: &str) -> Vec<u8> {
    app.store().challenge_mac(message)
}

/// A complaint as filed: its case, and the query code shown to the complainant once.
#[derive(Debug, Clone)]
pub struct Filed {
    pub case: StoredCase,
    pub tracking_no: String,
    pub code: String,
}

/// The hash a complaint's query code is kept as: keyed by the platform's key and bound to its
/// tracking number.
fn code_hash(app: &App, tracking_no: &str, code: &str) -> Vec<u8> {
    app.store()
        .query_code_hash(tracking_no, &complaint::normalize_query_code(code))
}

/// A fresh query code (查询码), from the platform's random source.
fn new_query_code() -> AppResult<String> {
    let mut random = [0u8; complaint::QUERY_CODE_LEN];
    getrandom::fill(&mut random).map_err(|e| AppError::msg(format!("随机数不可用：{e}")))?;
    Ok(complaint::query_code(&random))
}

/// Who the journal says acted for a member of the public.
fn public_actor() -> String {
    probity_domain::audit::Actor::Other("public".into()).to_string()
}

/// A complainant's or reporter's name and contact as kept (encrypted) with the case, for the
/// credit office: `张先生，022-12345678`.
fn contact_line(name: &Option<String>, contact: &Option<String>) -> Option<String> {
    match (name, contact) {
        (Some(n), Some(c)) => Some(format!("{n}，{c}")),
        (None, Some(c)) => Some(c.clone()),
        (Some(n), None) => Some(n.clone()),
        (None, None) => None,
    }
}

/// Files a complaint about a unit (and optionally one of its records): from the public portal or
/// the API (`staff: None`), or entered by the credit office for a hotline caller or a letter.
pub fn file_complaint(
    app: &App,
    staff: Option<&Actor>,
    input: &ComplaintInput,
) -> AppResult<Filed> {
    let v = input.validate().map_err(AppError::Fields)?;
    let store = app.store();
    let unit = match &v.subject_uscc {
        Some(u) => store.find_unit(u.as_str()),
        None => store.find_unit(&v.subject),
    }
    .map_err(|e| match e {
        StoreError::Domain(_) | StoreError::NotFound(_) => {
            AppError::Fields(vec![probity_domain::record::FieldError {
                column: "subject",
                error: DomainError::new(
                    Code::SubjectNotFound,
                    format!(
                        "没有找到被投诉单位“{}”：请填写单位全称、简称或统一社会信用代码",
                        v.subject
                    ),
                ),
            }])
        }
        other => other.into(),
    })?;
    if !unit.kind.is_unit() {
        return Err(refuse(
            Code::SubjectNotFound,
            "投诉对象应为单位（功能区、委局、街镇）",
        ));
    }
    let mut title = format!("投诉{}", unit.name);
    if let Some(rid) = v.record_id {
        let r = store
            .record(rid)
            .map_err(|_| refuse(Code::SubjectNotFound, format!("没有编号为 {rid} 的记录")))?;
        let (_, about) = unit_of(app, &r)?;
        if about != Some(unit.id) {
            return Err(refuse(
                Code::SubjectNameMismatch,
                format!("记录 {rid} 不是“{}”的记录", unit.name),
            ));
        }
        title = format!("{title}（记录 {rid}）");
    }
    let today = app.today();
    let d = deadlines(app)?;
    let opening = case::rules(CaseKind::Complaint).opening(&d, None);
    let deadline = opening.deadline(&calendar(app)?, today)?;
    let code = new_query_code()?;
    let prefix = complaint::tracking_day(complaint::TRACKING_PREFIX, today);
    let (actor, applicant) = match staff {
        Some(a) => (a.name(), Applicant::CreditOffice),
        None => (public_actor(), Applicant::Public),
    };
    let contact = contact_line(&v.name, &v.contact);
    let (case, tracking_no) = store.write(|tx| -> AppResult<(StoredCase, String)> {
        let serial = tx.cases().tracked_on(&prefix)? + 1;
        let tracking_no = complaint::tracking_no(today, serial);
        let c = tx.cases().open(
            &NewCase {
                kind: CaseKind::Complaint,
                state: opening.state,
                record_id: v.record_id,
                subject_id: Some(unit.id),
                applicant: applicant.clone(),
                assignee_unit: None,
                deadline,
                title: title.clone(),
                text: v.content.clone(),
                tracking_no: Some(tracking_no.clone()),
                code_hash: Some(code_hash(app, &tracking_no, &code)),
                channel: Some(v.channel.code().to_string()),
                contact: contact.clone(),
                detail: serde_json::json!({ "anonymous": v.anonymous() }),
            },
            &actor,
            Party::Applicant.code(),
            Vec::new(),
        )?;
        tx.cases().notify(
            None,
            Some(c.id),
            &format!(
                "收到投诉 {tracking_no}（{}）：请于 {} 前转办",
                v.channel.label(),
                date_text(deadline)
            ),
        )?;
        Ok((c, tracking_no))
    })?;
    Ok(Filed {
        case,
        tracking_no,
        code,
    })
}

/// Anyone reports an error on a public record (纠错), from the record's page or the public API:
/// an objection the reporter follows with a `JC…` tracking number and a query code, where
/// complaints are followed ([`complaint_status`]). The record must be shown to the public right
/// now (one the disclosure policy withholds answers `NotFound`, exactly as a missing one), be
/// active and have no objection open; it is frozen as 异议处理中 and its provider answers within
/// the objection deadline, with written reasons the reporter reads.
pub fn report_error(app: &App, record_id: i64, input: &CorrectionInput) -> AppResult<Filed> {
    use crate::public::PublicError;
    match crate::public::record_today(app, record_id) {
        Ok(_) => {}
        Err(PublicError::NotFound | PublicError::BadCode(_)) => {
            return Err(AppError::NotFound(
                "未找到该记录，或其信息不在公示范围内".into(),
            ));
        }
        Err(PublicError::Store(e)) => return Err(e.into()),
    }
    let v = input.validate().map_err(AppError::Fields)?;
    let store = app.store();
    let r = store.record(record_id)?;
    objection::may_object(r.state)?;
    let (_, unit) = unit_of(app, &r)?;
    let d = deadlines(app)?;
    let today = app.today();
    let opening = case::rules(CaseKind::Objection).opening(&d, None);
    let deadline = opening.deadline(&calendar(app)?, today)?;
    let title = title_of(app, &r)?;
    let code = new_query_code()?;
    let prefix = complaint::tracking_day(objection::TRACKING_PREFIX, today);
    let actor = public_actor();
    let contact = contact_line(&v.name, &v.contact);
    let (case, tracking_no) = store.write(|tx| -> AppResult<(StoredCase, String)> {
        let now = objectable_in(tx, record_id)?;
        let serial = tx.cases().tracked_on(&prefix)? + 1;
        let tracking_no = objection::tracking_no(today, serial);
        tx.records()
            .transition(
                record_id,
                Action::Object,
                Role::Public,
                None,
                &[],
                &actor,
                &format!("社会公众纠错 {tracking_no}：{}", v.reasons),
            )
            .map_err(from_store)?;
        let c = tx.cases().open(
            &NewCase {
                kind: CaseKind::Objection,
                state: opening.state,
                record_id: Some(record_id),
                subject_id: unit,
                applicant: Applicant::Public,
                assignee_unit: Some(now.provider_id),
                deadline,
                title: title.clone(),
                text: v.reasons.clone(),
                tracking_no: Some(tracking_no.clone()),
                code_hash: Some(code_hash(app, &tracking_no, &code)),
                channel: None,
                contact: contact.clone(),
                detail: serde_json::json!({ "anonymous": v.anonymous() }),
            },
            &actor,
            Party::Applicant.code(),
            Vec::new(),
        )?;
        tx.cases().notify(
            Some(now.provider_id),
            Some(c.id),
            &format!(
                "收到社会公众纠错 {tracking_no}：{title}，请于 {} 前核查答复",
                date_text(deadline)
            ),
        )?;
        Ok((c, tracking_no))
    })?;
    Ok(Filed {
        case,
        tracking_no,
        code,
    })
}

/// The record as it stands inside the objection's write, if it may be objected to now: no
/// objection open on it (one at a time), and in a state that allows one (read again, as it may
/// have moved since it was first read). A unit's objection and the public's report share it.
fn objectable_in(tx: &mut probity_store::Tx<'_>, record_id: i64) -> AppResult<StoredRecord> {
    if tx
        .cases()
        .open_for_record(record_id, CaseKind::Objection)?
        .is_some()
    {
        return Err(refuse(
            Code::RecordNotObjectable,
            "该记录已有正在处理的异议，不能重复提出",
        ));
    }
    let now = tx.records().get(record_id)?;
    objection::may_object(now.state)?;
    Ok(now)
}

/// A complaint or a report of an error as the one who filed it follows it: the tracking number
/// (`TS…` or `JC…`) with the right code, or `NotFound` alike for an unknown number and a wrong
/// code.
pub fn complaint_status(app: &App, tracking_no: &str, code: &str) -> AppResult<PublicComplaint> {
    let no = tracking_no.trim().to_ascii_uppercase();
    let kind = complaint::parse_public_tracking_no(&no)
        .map(|(k, ..)| k)
        .ok();
    let not_found = || {
        AppError::NotFound(match kind {
            Some(CaseKind::Objection) => "未找到该纠错：请核对受理编号和查询码".into(),
            _ => "未找到该投诉：请核对受理编号和查询码".into(),
        })
    };
    let Some(kind) = kind else {
        return Err(not_found());
    };
    let c = app
        .store()
        .case_by_tracking_no(&no)?
        .filter(|c| c.kind == kind)
        .ok_or_else(not_found)?;
    let want = c.code_hash.clone().unwrap_or_default();
    let got = code_hash(app, &no, code);
    if want.is_empty() || !bool::from(subtle::ConstantTimeEq::ct_eq(&want[..], &got[..])) {
        return Err(not_found());
    }
    public_view(app, &c)
}

/// A complaint or a report of an error (纠错) as the public sees it: its steps without any staff
/// name.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublicComplaint {
    pub tracking_no: String,
    /// `complaint`, or `objection` for a report of an error on a public record.
    pub kind: String,
    /// 投诉举报 or 纠错.
    pub kind_label: String,
    /// The record reported (纠错), or the one a complaint named.
    pub record_id: Option<i64>,
    pub state: String,
    pub state_label: String,
    pub outcome: Option<String>,
    pub outcome_label: Option<String>,
    pub unit: String,
    pub filed_at: String,
    pub deadline: Option<NaiveDate>,
    pub rating: Option<i64>,
    /// Whether the complainant may rate the answer now.
    pub may_rate: bool,
    pub history: Vec<PublicStep>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PublicStep {
    pub at: String,
    /// Who in the public's words: 投诉人 or 纠错人, 信用办, 承办单位 or 报送单位, 系统.
    pub by: String,
    pub step: String,
    /// What was filed, and the answer's text (an answer, a closing note, an objection's
    /// decision); internal comments are not shown.
    pub text: Option<String>,
}

/// Who took a step, in the public's words, and whether its text reaches the public: what was
/// filed, a complaint's answer and closing note, an objection's decision with its reasons.
fn public_step(kind: CaseKind, party: &str, action: &str) -> (&'static str, bool) {
    let answer = CaseAction::Answer(case::Finding::Founded).code();
    let close = CaseAction::Close(case::Finding::Founded).code();
    let decided = action == CaseAction::Uphold.code() || action == CaseAction::Dismiss.code();
    let by = match (kind, party) {
        (CaseKind::Objection, "applicant") => "纠错人",
        (_, "applicant") => "投诉人",
        (CaseKind::Objection, "assignee") => "报送单位",
        (_, "assignee") if action == answer => "承办单位",
        (_, "system") => "系统",
        _ => "信用办",
    };
    let shown = action == "open"
        || match kind {
            CaseKind::Objection => decided,
            _ => action == answer || action == close,
        };
    (by, shown)
}

fn public_view(app: &App, c: &StoredCase) -> AppResult<PublicComplaint> {
    let unit = match c.subject_id {
        Some(id) => app.store().subject(id)?.name,
        None => String::new(),
    };
    let events = app.store().case_events(c.id)?;
    // The texts reach the public: ID numbers blanked, the roster's civil servants masked.
    let masker = app.names().current(app.store())?;
    let history = events
        .iter()
        .filter(|e| e.action != CaseAction::Comment.code())
        .map(|e| {
            let (by, shown) = public_step(c.kind, &e.party, &e.action);
            PublicStep {
                at: time_text(&e.at),
                by: by.into(),
                step: step_label(&e.action),
                text: shown
                    .then(|| e.text.as_deref().map(|t| public_text(&masker, t)))
                    .flatten(),
            }
        })
        .collect();
    let rated = c.rating.is_some();
    let complaint = c.kind == CaseKind::Complaint;
    let kind_label = if complaint { c.kind.label() } else { "纠错" };
    Ok(PublicComplaint {
        tracking_no: c.tracking_no.clone().unwrap_or_default(),
        kind: c.kind.code().into(),
        kind_label: kind_label.into(),
        record_id: c.record_id,
        state: c.state.code().into(),
        state_label: c.state.label().into(),
        outcome: c.outcome.map(|o| o.code().into()),
        outcome_label: c.outcome.map(|o| o.label().into()),
        unit,
        filed_at: time_text(&c.created_at),
        deadline: c.deadline,
        rating: c.rating,
        // A complaint's answer is rated; a report of an error's is not.
        may_rate: complaint && complaint::may_rate(c.state, c.outcome, rated).is_ok(),
        history,
    })
}

/// The complainant rates the answer (1–5), once, with the tracking number and code.
pub fn rate_complaint(
    app: &App,
    tracking_no: &str,
    code: &str,
    stars: u8,
    note: &str,
) -> AppResult<PublicComplaint> {
    // The same answer for a wrong code as for an unknown number.
    complaint_status(app, tracking_no, code)?;
    let no = tracking_no.trim().to_ascii_uppercase();
    let c = app
        .store()
        .case_by_tracking_no(&no)?
        .ok_or_else(|| AppError::NotFound("未找到该投诉".into()))?;
    if c.kind != CaseKind::Complaint {
        return Err(refuse(
            Code::IllegalTransition,
            "纠错的答复不设评价：评价只适用于投诉举报",
        ));
    }
    let actor = public_actor();
    let done = step_as(
        app,
        &actor,
        c.id,
        Party::Applicant,
        CaseAction::Rate(stars),
        note,
        None,
        Vec::new(),
        serde_json::Map::new(),
    )?;
    public_view(app, &done)
}

// ---------------------------------------------------------------------------------------------
// Steps

/// What an actor asks to do on a case.
#[derive(Debug, Clone)]
pub struct StepRequest {
    pub action: CaseAction,
    pub text: String,
    /// Route: the unit a complaint goes to; Consult: the deciding authority (default: the
    /// record's provider).
    pub unit: Option<String>,
    /// Repair approval of a civil servant's record: 从轻 or 免于惩戒.
    pub leniency: Option<String>,
    pub files: Vec<Upload>,
}

/// Takes one step on a case as `actor` (answer, decide, file, return, route, comment …).
pub fn step(app: &App, actor: &Actor, id: i64, req: StepRequest) -> AppResult<StoredCase> {
    let (case, party) = visible(app, actor, id)?;
    let files = checked(req.files)?;
    let target = match req.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) => {
            let s = app.store().find_unit(u).map_err(|_| {
                refuse(
                    Code::SubjectNotFound,
                    format!("名录中没有单位“{}”", u.chars().take(40).collect::<String>()),
                )
            })?;
            if !s.kind.is_unit() {
                return Err(refuse(Code::SubjectNotFound, "应选择一个单位"));
            }
            Some(s.id)
        }
        None => None,
    };
    let mut detail_add = serde_json::Map::new();
    if let Some(l) = req.leniency.as_deref().filter(|l| !l.trim().is_empty()) {
        let l = repair::Leniency::parse(l.trim())
            .ok_or_else(|| refuse(Code::IllegalTransition, "从轻或免于惩戒的选项无效"))?;
        let subject = match case.record_id {
            Some(r) => app.store().subject(app.store().record(r)?.subject_id)?.kind,
            None => SubjectKind::Township,
        };
        let outcome = match req.action {
            CaseAction::Approve => Outcome::Approved,
            _ => Outcome::Rejected,
        };
        l.check(subject, outcome)?;
        detail_add.insert("leniency".into(), serde_json::json!(l.code()));
    }
    let name = actor.name();
    step_as(
        app, &name, id, party, req.action, &req.text, target, files, detail_add,
    )
}

/// One step, as a known party: the rules, the new holder and deadline, the record's part, the
/// notifications, all in one write.
#[allow(clippy::too_many_arguments)]
pub(crate) fn step_as(
    app: &App,
    actor: &str,
    id: i64,
    party: Party,
    action: CaseAction,
    text: &str,
    target: Option<i64>,
    files: Vec<NewAttachment>,
    extra: serde_json::Map<String, serde_json::Value>,
) -> AppResult<StoredCase> {
    let text = action.check_text(text)?;
    let d = deadlines(app)?;
    let cal = calendar(app)?;
    let today = app.today();
    let store = app.store();
    // A complaint found true raises a draft record about the unit: made first, linked below.
    let before = store.case(id)?;
    let rule = case::rules(before.kind);
    let planned = rule.step(before.state, &action, party, &d)?;
    // It is made before the step's write, and keyed by the complaint's tracking number (its
    // document number): should the step then be refused (another closed the case meanwhile),
    // taking the step again finds the same draft and links it, never a second one.
    let mut draft = None;
    if before.kind == CaseKind::Complaint
        && let Some(o) = planned.outcome
        && complaint::raises_record(o)
    {
        // What was found: the closing note, or else the unit's answer.
        let found = match text.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(t) => t.to_string(),
            None => store
                .case_events(id)?
                .iter()
                .rev()
                .find(|e| e.action == CaseAction::Answer(case::Finding::Founded).code())
                .and_then(|e| e.text.clone())
                .unwrap_or_default(),
        };
        draft = Some(draft_upheld(app, actor, &before, &found)?);
    }
    let record = before.record_id.map(|r| store.record(r)).transpose()?;
    store.write(|tx| -> AppResult<StoredCase> {
        let c = tx.cases().get(id)?;
        let s = rule.step(c.state, &action, party, &d)?;
        if let CaseAction::Rate(_) = action {
            complaint::may_rate(c.state, c.outcome, c.rating.is_some())?;
        }
        let assignee = match s.assign {
            Assign::Keep => None,
            Assign::CreditOffice => Some(None),
            Assign::Unit => match (action, target) {
                (CaseAction::Route, Some(u)) => Some(Some(u)),
                (CaseAction::Route, None) => {
                    return Err(refuse(Code::Required, "请选择承办单位").at("unit"));
                }
                _ => Some(c.subject_id),
            },
            Assign::Provider => Some(record.as_ref().map(|r| r.provider_id)),
            Assign::Authority => Some(target.or(record.as_ref().map(|r| r.provider_id))),
        };
        let deadline = s.deadline.apply(&cal, today, c.deadline)?;
        // What the step adds to the case's detail: the draft record a founded complaint raised,
        // the leniency an approved repair granted (recorded for the sanctions rules to come).
        let mut detail = c.detail.clone();
        let mut added = extra.clone();
        if let Some(draft) = draft {
            added.insert("record_draft".into(), serde_json::json!(draft));
        }
        if let Some(obj) = detail.as_object_mut() {
            obj.extend(added.clone());
        }
        let change = CaseChange {
            state: Some(s.next),
            outcome: s.outcome,
            assignee_unit: assignee,
            deadline: Some(deadline),
            escalated: assignee.map(|_| false),
            rating: match action {
                CaseAction::Rate(n) => Some(i64::from(n)),
                _ => None,
            },
            finding: match action {
                CaseAction::Answer(f) | CaseAction::Close(f) => Some(f.code().to_string()),
                _ => None,
            },
            detail: (!added.is_empty()).then_some(detail),
        };
        let done = tx.cases().step(
            id,
            NewStep {
                actor,
                party: party.code(),
                action: action.code(),
                text: text.as_deref(),
                change,
                attachments: files,
            },
        )?;
        // The record's part.
        if let (Some(r), Some(outcome)) = (&record, s.outcome) {
            let reason =
                |what: &str| format!("{what}（案件 {id}）：{}", text.as_deref().unwrap_or(""));
            let act = |a: Action, why: String| (a, why);
            let consequence = match (c.kind, outcome) {
                (CaseKind::Objection, Outcome::Upheld) => {
                    Some(act(Action::Revoke, reason("异议成立，记录撤销")))
                }
                (CaseKind::Objection, Outcome::Dismissed | Outcome::Withdrawn) => Some(act(
                    Action::ResolveObjection,
                    reason(if outcome == Outcome::Withdrawn {
                        "异议撤回"
                    } else {
                        "异议不成立"
                    }),
                )),
                (CaseKind::Repair, Outcome::Approved) => {
                    Some(act(Action::Repair, reason("准予信用修复")))
                }
                _ => None,
            };
            if let Some((a, why)) = consequence {
                let current = tx.records().get(r.id)?;
                let applies = match a {
                    Action::Revoke | Action::ResolveObjection => {
                        current.state == RecordState::Objected
                    }
                    Action::Repair => current.state == RecordState::Active,
                    _ => false,
                };
                if applies {
                    tx.records()
                        .transition(r.id, a, Role::CreditOffice, None, &[], actor, &why)
                        .map_err(from_store)?;
                    if matches!(a, Action::Revoke | Action::Repair) {
                        lapse_rectification(tx, r.id, &why)?;
                    }
                } else if a == Action::Repair {
                    return Err(refuse(
                        Code::IllegalTransition,
                        format!(
                            "记录当前状态为“{}”，不能准予信用修复",
                            current.state.label()
                        ),
                    ));
                }
            }
        }
        // A dispute's part: a corrected assessment result reopens its period.
        if c.kind == CaseKind::Dispute && s.outcome == Some(Outcome::Corrected) {
            crate::assessment_dispute::corrected_in(tx, &c, actor, text.as_deref())?;
        }
        // Who hears of it: the new holder, and the applicant when the case is answered or closed.
        let label = format!("{}“{}”", c.kind.label(), c.title);
        if let Some(holder) = assignee
            && holder != c.assignee_unit
        {
            tx.cases().notify(
                holder,
                Some(id),
                &format!(
                    "{label}转来待办（{}），请于 {} 前办理",
                    action.label(),
                    date_text(deadline)
                ),
            )?;
        }
        if s.next != c.state
            && let Applicant::Unit(u) = c.applicant
            && Some(u) != assignee.flatten()
        {
            tx.cases().notify(
                Some(u),
                Some(id),
                &format!("{label}：{}", done_label(&done)),
            )?;
        }
        Ok(done)
    })
}

/// Ends, in the caller's unit of work, the open rectification of a record that has left force
/// (revoked as wrong, or repaired): nothing is owed for it any more, and its deadline would
/// otherwise keep chasing the unit. The unit is told. Returns whether one was open.
pub(crate) fn lapse_rectification(
    tx: &mut probity_store::Tx<'_>,
    record_id: i64,
    why: &str,
) -> AppResult<bool> {
    let Some(c) = tx
        .cases()
        .open_for_record(record_id, CaseKind::Rectification)?
    else {
        return Ok(false);
    };
    let s = case::rules(CaseKind::Rectification).step(
        c.state,
        &CaseAction::Lapse,
        Party::System,
        &Deadlines::default(),
    )?;
    let text = format!("记录已不在公示：{why}");
    let text: String = text.chars().take(case::MAX_STEP_TEXT).collect();
    let text = CaseAction::Lapse.check_text(&text)?;
    tx.cases().step(
        c.id,
        NewStep {
            actor: &probity_domain::audit::Actor::System(Some("rectification".into())).to_string(),
            party: Party::System.code(),
            action: CaseAction::Lapse.code(),
            text: text.as_deref(),
            change: CaseChange {
                state: Some(s.next),
                outcome: s.outcome,
                assignee_unit: None,
                deadline: Some(None),
                escalated: None,
                rating: None,
                finding: None,
                detail: None,
            },
            attachments: Vec::new(),
        },
    )?;
    tx.cases().notify(
        c.assignee_unit,
        Some(c.id),
        &format!(
            "整改案件“{}”已终结：记录已撤销或已修复，无需再提交整改报告",
            c.title
        ),
    )?;
    Ok(true)
}

fn done_label(c: &StoredCase) -> String {
    match c.outcome {
        Some(o) if c.state.is_closed() => format!("已办结，{}", o.label()),
        _ => c.state.label().to_string(),
    }
}

/// The draft `COMPLAINT_UPHELD` record about the unit a complaint found true concerns, by the
/// category's provider (the credit office's unit on the roster).
fn draft_upheld(app: &App, actor: &str, c: &StoredCase, text: &str) -> AppResult<i64> {
    let store = app.store();
    let catalog = store.catalog()?;
    let cat = catalog.get(complaint::UPHELD_CATEGORY).ok_or_else(|| {
        refuse(
            Code::UnknownCategory,
            "目录中没有“投诉举报查实的政务失信”类别",
        )
    })?;
    let provider = match &cat.providers {
        probity_domain::catalog::ProviderRule::Named(names) => names
            .iter()
            .find_map(|n| store.find_unit(n).ok())
            .ok_or_else(|| {
                refuse(
                    Code::ProviderNotFound,
                    format!("名录中没有该类别的报送单位（{}）", names.join("、")),
                )
            })?,
        probity_domain::catalog::ProviderRule::AnyUnit => {
            return Err(refuse(Code::ProviderNotFound, "该类别未指定报送单位"));
        }
    };
    let unit = store.subject(
        c.subject_id
            .ok_or_else(|| AppError::msg("投诉没有被投诉单位".into()))?,
    )?;
    let today = app.today();
    let row = probity_domain::record::RecordRow {
        subject_name: unit.name.clone(),
        uscc: unit.uscc.clone().unwrap_or_default(),
        category: cat.code.clone(),
        document_no: format!("投诉{}", c.tracking_no.clone().unwrap_or_default()),
        decided_on: today.to_string(),
        authority: provider.name.clone(),
        facts: format!("{}\n\n查实情况：{text}", c.text),
        outcome: "投诉举报查实".into(),
        ..Default::default()
    };
    let rec = row.validate(&catalog, today).map_err(AppError::Fields)?;
    let opts = probity_store::ImportOptions {
        provider,
        actor: actor.to_string(),
        channel: probity_store::Channel::Form,
        source: format!("投诉 {}", c.tracking_no.clone().unwrap_or_default()),
        activate: false,
        all_or_nothing: false,
    };
    match store.create_record(opts, rec, true)? {
        probity_store::Created::New(r) | probity_store::Created::Existing(r) => Ok(r.id),
        probity_store::Created::Rejected(errs) => Err(AppError::Fields(errs)),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// A case as people read it: names, never codes.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub case: StoredCase,
    pub kind_label: &'static str,
    pub state_label: String,
    pub subject: String,
    pub holder: String,
    pub applicant: String,
    pub due: Option<DueStatus>,
    pub due_label: String,
}

/// Names of units, looked up once each.
struct Names<'a> {
    app: &'a App,
    seen: HashMap<i64, String>,
}

impl Names<'_> {
    fn of(&mut self, id: Option<i64>, none: &str) -> String {
        let Some(id) = id else {
            return none.to_string();
        };
        if let Some(n) = self.seen.get(&id) {
            return n.clone();
        }
        let n = self
            .app
            .store()
            .subject(id)
            .map(|s| s.short_name.unwrap_or(s.name))
            .unwrap_or_else(|_| format!("主体 {id}"));
        self.seen.insert(id, n.clone());
        n
    }
}

fn view(
    app: &App,
    names: &mut Names<'_>,
    cal: &Calendar,
    d: &Deadlines,
    c: StoredCase,
) -> CaseView {
    let today = app.today();
    let due = if c.state.is_closed() {
        None
    } else {
        case::due_status(cal, today, c.deadline, d).ok()
    };
    let due_label = match (&due, c.state.is_closed()) {
        (_, true) => c.outcome.map_or("已办结".into(), |o| o.label().to_string()),
        (Some(d), false) => d.label(),
        (None, false) => "期限无法计算（工作日历缺年份）".into(),
    };
    CaseView {
        kind_label: c.kind.label(),
        state_label: done_label(&c),
        subject: names.of(c.subject_id, "—"),
        holder: if c.state.is_closed() {
            "—".into()
        } else {
            names.of(c.assignee_unit, "信用办")
        },
        applicant: match &c.applicant {
            Applicant::Unit(u) => names.of(Some(*u), ""),
            Applicant::Public => "社会公众".into(),
            Applicant::System => "系统".into(),
            Applicant::CreditOffice => "信用办".into(),
        },
        due,
        due_label,
        case: c,
    }
}

/// Cases within the actor's reach matching `filter`, newest first.
pub fn list(
    app: &App,
    actor: &Actor,
    mut filter: CaseFilter,
    before: Option<i64>,
    limit: u32,
) -> AppResult<Vec<CaseView>> {
    if actor.role() != AccountRole::Admin {
        filter.involving = Some(actor.unit().unwrap_or(-1));
    }
    let cases = app.store().list_cases(&filter, before, limit)?;
    let cal = calendar(app)?;
    let d = deadlines(app)?;
    let mut names = Names {
        app,
        seen: HashMap::new(),
    };
    Ok(cases
        .into_iter()
        .map(|c| view(app, &mut names, &cal, &d, c))
        .collect())
}

/// One case with its history and attachments, and what the actor may do on it now.
#[derive(Debug, Clone)]
pub struct CaseDetail {
    pub view: CaseView,
    pub party: Party,
    pub events: Vec<CaseEvent>,
    pub attachments: Vec<AttachmentMeta>,
    pub actions: Vec<CaseAction>,
    pub record: Option<StoredRecord>,
    /// The complainant's contact, for the credit office only.
    pub contact: Option<String>,
}

pub fn detail(app: &App, actor: &Actor, id: i64) -> AppResult<CaseDetail> {
    let (c, party) = visible(app, actor, id)?;
    let store = app.store();
    let events = store.case_events(id)?;
    let attachments = store.case_attachments(id)?;
    let mut actions = case::available_actions(c.kind, c.state, party);
    if c.kind == CaseKind::Complaint {
        // Rating is the complainant's, on the public status page.
        actions.retain(|a| !matches!(a, CaseAction::Rate(_)));
    }
    actions.retain(|a| !matches!(a, CaseAction::Escalate));
    let record = c.record_id.map(|r| store.record(r)).transpose()?;
    let contact = if actor.role() == AccountRole::Admin {
        store.case_contact(id)?
    } else {
        None
    };
    let cal = calendar(app)?;
    let mut names = Names {
        app,
        seen: HashMap::new(),
    };
    Ok(CaseDetail {
        view: view(app, &mut names, &cal, &deadlines(app)?, c),
        party,
        events,
        attachments,
        actions,
        record,
        contact,
    })
}

/// An attachment of a case the actor may see.
pub fn attachment(
    app: &App,
    actor: &Actor,
    case_id: i64,
    id: i64,
) -> AppResult<(AttachmentMeta, Vec<u8>)> {
    visible(app, actor, case_id)?;
    let (meta, bytes) = app.store().attachment(id)?;
    if meta.case_id != case_id {
        return Err(AppError::NotFound(format!("未找到：附件 {id}")));
    }
    Ok((meta, bytes))
}

/// A step's name in Chinese, from its code.
pub fn step_label(code: &str) -> String {
    match code {
        "open" => "提交".into(),
        "leniency" => "记录从轻或免于惩戒".into(),
        other => CaseAction::EXAMPLES
            .iter()
            .find(|a| a.code() == other)
            .map_or(other.to_string(), |a| a.label().to_string()),
    }
}

/// A stored time as officials read it (Beijing, to the minute).
pub fn time_text(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| probity_domain::date::beijing_minute(t.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| at.to_string())
}

// ---------------------------------------------------------------------------------------------
// The deadline clock

/// What one round of the deadline clock did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClockReport {
    pub rectifications_opened: usize,
    pub due_soon: usize,
    pub overdue: usize,
    /// Open cases whose deadline could not be counted (a year missing from the calendar).
    pub uncounted: usize,
}

/// Cases updated in one write.
const PER_WRITE: usize = 500;

/// The rectification clock's name for its position on the change feed.
const RECTIFICATION_CLOCK: &str = "rectification";

/// Marks open cases due soon and overdue as of `today`, escalates overdue ones to the credit
/// office and notifies their holders; opens the rectification cases that records activated
/// since the last round call for. Running it twice changes nothing the second time.
pub fn clock(app: &App, today: NaiveDate) -> AppResult<ClockReport> {
    let mut report = ClockReport::default();
    // Records activated since the clock's position on the change feed (imports activate without
    // passing through `records::act`): each gets its rectification case if it calls for one.
    'feed: loop {
        let from = app.store().clock_position(RECTIFICATION_CLOCK)?;
        let batch = app.store().activations_since(from, PER_WRITE as u32)?;
        let Some(&(last, _)) = batch.last() else {
            break;
        };
        let ids: Vec<i64> = batch.iter().map(|(_, r)| *r).collect();
        let opened = open_rectifications(app, &ids, today)?;
        report.rectifications_opened += opened.cases.len();
        match opened.stalled {
            None => {}
            // The calendar lacks the year: the clock stays before this record, to open its
            // case once the credit office has imported the year.
            Some(AppError::Domain(e)) if e.code == Code::CalendarYearMissing => {
                report.uncounted += 1;
                let (seq, _) = batch[opened.stalled_at];
                app.store()
                    .set_clock_position(RECTIFICATION_CLOCK, seq - 1)?;
                break 'feed;
            }
            Some(e) => return Err(e),
        }
        app.store().set_clock_position(RECTIFICATION_CLOCK, last)?;
    }
    let d = deadlines(app)?;
    let cal = calendar(app)?;
    let mut changes = Vec::new();
    for c in app.store().open_deadlines()? {
        let status = match case::due_status(&cal, today, c.deadline, &d) {
            Ok(s) => s,
            Err(_) => {
                report.uncounted += 1;
                continue;
            }
        };
        let (due, escalate) = match status {
            DueStatus::Overdue { .. } => ("overdue", true),
            DueStatus::DueSoon { .. } => ("due_soon", false),
            DueStatus::OnTime { .. } => ("on_time", false),
            DueStatus::NoDeadline => ("none", false),
        };
        if c.due != due || (escalate && !c.escalated) {
            changes.push((c, due, escalate, status));
        }
    }
    for chunk in changes.chunks(PER_WRITE) {
        let (soon, over) = app.store().write(|tx| -> AppResult<(usize, usize)> {
            let (mut soon, mut over) = (0, 0);
            for (c, due, escalate, status) in chunk {
                if !tx.cases().mark_due(c.id, due, *escalate)? {
                    continue;
                }
                let full = tx.cases().get(c.id)?;
                let label = format!("{}“{}”", c.kind.label(), full.title);
                match *due {
                    "due_soon" => {
                        soon += 1;
                        tx.cases().notify(
                            c.assignee_unit,
                            Some(c.id),
                            &format!(
                                "{label}即将到期：{}，期限 {}",
                                status.label(),
                                date_text(c.deadline)
                            ),
                        )?;
                    }
                    "overdue" => {
                        over += 1;
                        tx.cases().notify(
                            c.assignee_unit,
                            Some(c.id),
                            &format!(
                                "{label}已逾期（期限 {}），请尽快办理",
                                date_text(c.deadline)
                            ),
                        )?;
                        if c.assignee_unit.is_some() && !c.escalated {
                            tx.cases().notify(
                                None,
                                Some(c.id),
                                &format!(
                                    "逾期督办：{label}已逾期（期限 {}）",
                                    date_text(c.deadline)
                                ),
                            )?;
                        }
                    }
                    _ => {}
                }
            }
            Ok((soon, over))
        })?;
        report.due_soon += soon;
        report.overdue += over;
    }
    Ok(report)
}

/// The number of unread notifications for the actor (the bell on every console page).
pub fn unread(app: &App, actor: &Actor) -> AppResult<i64> {
    let Some(unit) = audience(actor) else {
        return Ok(0);
    };
    Ok(app.store().unread_notifications(unit, actor.account.id)?)
}

/// Whose notifications an actor reads: its unit's, or the credit office's; `None` for roles
/// that get none. The same rule, read the other way, says whom a notification is mailed to
/// (`mail::audience`).
fn audience(actor: &Actor) -> Option<Option<i64>> {
    let unit = if actor.role() == AccountRole::Admin {
        None
    } else {
        Some(actor.unit()?)
    };
    crate::mail::audience(unit)
        .contains(&actor.role())
        .then_some(unit)
}

/// The actor's newest notifications.
pub fn notifications(
    app: &App,
    actor: &Actor,
    limit: u32,
) -> AppResult<Vec<probity_store::Notification>> {
    let Some(unit) = audience(actor) else {
        return Ok(Vec::new());
    };
    Ok(app.store().notifications(unit, actor.account.id, limit)?)
}

/// Marks the actor's notifications about one case read: a person opened the case's page (the
/// bell counts one less). The JSON API reads a case without this, as systems read it.
pub fn mark_case_read(app: &App, actor: &Actor, id: i64) -> AppResult<u64> {
    let Some(unit) = audience(actor) else {
        return Ok(0);
    };
    Ok(app
        .store()
        .mark_case_notifications_read(unit, actor.account.id, id)?)
}

/// Marks the listed notifications (or all, `ids` empty) read for the actor.
pub fn mark_read(app: &App, actor: &Actor, ids: &[i64]) -> AppResult<u64> {
    let Some(unit) = audience(actor) else {
        return Ok(0);
    };
    Ok(app
        .store()
        .mark_notifications_read(unit, actor.account.id, ids)?)
}

// ---------------------------------------------------------------------------------------------
// The dashboard and the export

/// One line of the case dashboard: open cases of a kind held by one holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardRow {
    pub kind: CaseKind,
    /// The holder (`None`: the credit office) and its name.
    pub holder: Option<i64>,
    pub holder_name: String,
    pub open: i64,
    pub due_soon: i64,
    pub overdue: i64,
}

/// Open, due-soon and overdue cases by kind and by holder (the credit office's dashboard; a
/// unit or provider sees its own line only), the busiest first.
pub fn dashboard(app: &App, actor: &Actor) -> AppResult<Vec<DashboardRow>> {
    let own = (actor.role() != AccountRole::Admin).then(|| actor.unit().unwrap_or(-1));
    let mut rows: HashMap<(CaseKind, Option<i64>), DashboardRow> = HashMap::new();
    let mut names = Names {
        app,
        seen: HashMap::new(),
    };
    for c in app.store().open_case_counts()? {
        if own.is_some() && c.assignee_unit != own {
            continue;
        }
        let row = rows
            .entry((c.kind, c.assignee_unit))
            .or_insert_with(|| DashboardRow {
                kind: c.kind,
                holder: c.assignee_unit,
                holder_name: names.of(c.assignee_unit, "信用办"),
                open: 0,
                due_soon: 0,
                overdue: 0,
            });
        row.open += c.count;
        match c.due.as_str() {
            "due_soon" => row.due_soon += c.count,
            "overdue" => row.overdue += c.count,
            _ => {}
        }
    }
    let mut out: Vec<DashboardRow> = rows.into_values().collect();
    out.sort_by(|a, b| {
        (b.overdue, b.due_soon, b.open)
            .cmp(&(a.overdue, a.due_soon, a.open))
            .then(a.kind.code().cmp(b.kind.code()))
            .then(a.holder_name.cmp(&b.holder_name))
    });
    Ok(out)
}

/// The most cases one export writes.
pub const EXPORT_CAP: u32 = 20_000;

/// The cases of `filter` within the actor's reach as an Excel workbook.
pub fn export(app: &App, actor: &Actor, filter: CaseFilter) -> AppResult<(Vec<u8>, usize)> {
    const HEADERS: &[(&str, &str)] = &[
        ("id", "案件编号"),
        ("kind", "类型"),
        ("title", "事项"),
        ("subject", "涉及单位"),
        ("applicant", "申请人"),
        ("holder", "承办"),
        ("state", "状态"),
        ("deadline", "办理期限"),
        ("due", "期限情况"),
        ("overdue_ever", "曾逾期"),
        ("tracking_no", "受理编号"),
        ("created_at", "提交时间"),
        ("closed_at", "办结时间"),
    ];
    let cases = list(app, actor, filter, None, EXPORT_CAP)?;
    let dir = tempfile::tempdir().map_err(|e| AppError::msg(format!("导出失败：{e}")))?;
    let path = dir.path().join("cases.xlsx");
    let mut w = probity_ingest::TableWriter::create(&path, probity_ingest::Format::Xlsx, HEADERS)?;
    for v in &cases {
        let c = &v.case;
        w.write_row(&[
            &c.id.to_string(),
            v.kind_label,
            &c.title,
            &v.subject,
            &v.applicant,
            &v.holder,
            &v.state_label,
            &date_text(c.deadline),
            &v.due_label,
            if c.overdue_ever { "是" } else { "否" },
            c.tracking_no.as_deref().unwrap_or(""),
            &time_text(&c.created_at),
            &c.closed_at.as_deref().map(time_text).unwrap_or_default(),
        ])?;
    }
    w.finish()?;
    let bytes = std::fs::read(&path).map_err(|e| AppError::msg(format!("导出失败：{e}")))?;
    Ok((bytes, cases.len()))
}
