//! What the API answers: accounts, subjects, records and history entries as JSON, described in
//! the OpenAPI document. Never a password hash, a secret or a whole ID number.

use probity_domain::assessment::{Period, PeriodKind};
use probity_store::{Account, StoredRecord, Subject};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub name: String,
    /// The holder's real name (姓名) and phone number (联系电话); blank if never given.
    pub real_name: String,
    pub phone: String,
    /// Where the holder's notifications are mailed (邮箱); blank for no mail.
    pub email: String,
    /// admin, provider, unit, hr, sysadmin, secadmin, auditor, unassigned (待授权)
    pub role: String,
    pub role_label: String,
    pub unit_id: Option<i64>,
    pub totp_enabled: bool,
    /// The role needs a second factor that is not enrolled yet.
    pub totp_pending: bool,
    pub disabled: bool,
    /// The password is a one-time password its holder must change before anything else.
    pub password_change_required: bool,
    /// The end of the last lockout (for some client), RFC 3339; it may lie in the past.
    pub locked_until: Option<String>,
}

impl From<&Account> for AccountView {
    fn from(a: &Account) -> Self {
        AccountView {
            id: a.id,
            name: a.name.clone(),
            real_name: a.real_name.clone(),
            phone: a.phone.clone(),
            email: a.email.clone(),
            role: a.role.code().to_string(),
            role_label: a.role.label().to_string(),
            unit_id: a.unit_id,
            totp_enabled: a.totp_enabled,
            totp_pending: a.totp_pending,
            disabled: a.disabled,
            password_change_required: a.password_change_required,
            locked_until: a.locked_until.map(|t| t.to_rfc3339()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectView {
    pub id: i64,
    pub kind: String,
    pub kind_label: String,
    pub name: String,
    pub short_name: Option<String>,
    pub uscc: Option<String>,
    /// Masked: never the whole number.
    pub id_number: Option<String>,
    pub parent_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub position: Option<String>,
    pub successor_id: Option<i64>,
}

impl From<&Subject> for SubjectView {
    fn from(s: &Subject) -> Self {
        SubjectView {
            id: s.id,
            kind: s.kind.code().to_string(),
            kind_label: s.kind.label().to_string(),
            name: s.name.clone(),
            short_name: s.short_name.clone(),
            uscc: s.uscc.clone(),
            id_number: s.id_masked.clone(),
            parent_id: s.parent_id,
            unit_id: s.unit_id,
            position: s.position.clone(),
            successor_id: s.successor_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordView {
    pub id: i64,
    pub subject_id: i64,
    pub subject_name: String,
    pub provider_id: i64,
    pub category: String,
    pub kind: String,
    pub document_no: String,
    pub decided_on: String,
    pub authority: String,
    pub facts: String,
    pub basis: Option<String>,
    pub outcome: String,
    pub severity: Option<String>,
    pub scope: String,
    pub disclosure_until: String,
    pub state: String,
    pub state_label: String,
    /// How it arrived: file, form, api, exchange.
    pub channel: String,
    pub source: String,
    pub source_row: Option<i64>,
    pub submitted_by: String,
    pub first_seen: String,
    pub last_seen: String,
    pub seen_count: i64,
    /// Change-feed sequence number of its last change.
    pub last_seq: i64,
    /// Why the credit office sent it back (已退回), while it waits to be submitted again.
    pub sent_back_reason: Option<String>,
}

impl From<&StoredRecord> for RecordView {
    fn from(r: &StoredRecord) -> Self {
        RecordView {
            id: r.id,
            subject_id: r.subject_id,
            subject_name: r.subject_name.clone(),
            provider_id: r.provider_id,
            category: r.category.clone(),
            kind: r.kind.code().to_string(),
            document_no: r.document_no.clone(),
            decided_on: r.decided_on.to_string(),
            authority: r.authority.clone(),
            facts: r.facts.clone(),
            basis: r.basis.clone(),
            outcome: r.outcome.clone(),
            severity: r.severity.map(|s| s.code().to_string()),
            scope: r.scope.code().to_string(),
            disclosure_until: r.disclosure_until.to_string(),
            state: r.state.code().to_string(),
            state_label: r.state.label().to_string(),
            channel: r.channel.clone(),
            source: r.source.clone(),
            source_row: r.source_row,
            submitted_by: r.submitted_by.clone(),
            first_seen: probity_store::time_text(r.first_seen),
            last_seen: probity_store::time_text(r.last_seen),
            seen_count: r.seen_count,
            last_seq: r.last_seq,
            sent_back_reason: r.sent_back.clone(),
        }
    }
}

/// What a list shows of a record; `GET /api/v1/records/{id}` gives the whole record. It borrows
/// from the store's summary, so that a page is written out without copying its texts.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordSummaryView<'a> {
    pub id: i64,
    pub subject_id: i64,
    pub subject_name: &'a str,
    pub provider_id: i64,
    pub category: &'a str,
    pub kind: &'static str,
    pub document_no: &'a str,
    pub decided_on: String,
    pub severity: Option<&'static str>,
    pub scope: &'static str,
    pub disclosure_until: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub last_seq: i64,
    pub sent_back_reason: Option<&'a str>,
}

impl<'a> From<&'a probity_store::SummaryRef<'_>> for RecordSummaryView<'a> {
    fn from(r: &'a probity_store::SummaryRef<'_>) -> Self {
        RecordSummaryView {
            id: r.id,
            subject_id: r.subject_id,
            subject_name: &r.subject_name,
            provider_id: r.provider_id,
            category: &r.category,
            kind: r.kind.code(),
            document_no: &r.document_no,
            decided_on: r.decided_on.to_string(),
            severity: r.severity.map(|s| s.code()),
            scope: r.scope.code(),
            disclosure_until: r.disclosure_until.to_string(),
            state: r.state.code(),
            state_label: r.state.label(),
            last_seq: r.last_seq,
            sent_back_reason: r.sent_back.as_deref(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordPage<'a> {
    pub items: Vec<RecordSummaryView<'a>>,
    /// Pass as `before` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub seq: i64,
    pub at: String,
    /// Who acted, as the journal writes it (`provider:caizhengju`).
    pub actor: String,
    /// Who acted, in Chinese (`报送单位 caizhengju`).
    pub actor_label: String,
    /// The action's code (`activate`; in the whole journal, `activate record#12`).
    pub action: String,
    /// The action in Chinese (`审核生效`).
    pub action_label: String,
    pub entity: String,
    pub entity_id: String,
    pub detail: String,
}

impl HistoryView {
    /// An entry of the whole journal (`GET /api/v1/audit`): its action names what it acted on.
    pub fn of_journal(e: probity_store::HistoryEntry) -> Self {
        let action = format!("{} {}#{}", e.action, e.entity, e.entity_id);
        HistoryView {
            action,
            ..HistoryView::from(e)
        }
    }
}

impl From<probity_store::HistoryEntry> for HistoryView {
    fn from(e: probity_store::HistoryEntry) -> Self {
        HistoryView {
            actor_label: e.actor_label(),
            action_label: e.action_label(),
            seq: e.seq,
            at: e.at,
            actor: e.actor,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            detail: e.detail,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Cases (异议, 信用修复, 整改, 投诉举报)

/// The address a case's attachment downloads from.
pub fn attachment_url(case_id: i64, attachment_id: i64) -> String {
    format!("/api/v1/cases/{case_id}/attachments/{attachment_id}")
}

/// A case as a list shows it: codes with their Chinese labels beside them.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSummaryView {
    pub id: i64,
    /// objection, repair, rectification, complaint, assessment_dispute
    pub kind: String,
    pub kind_label: String,
    /// open, consulting, assigned, filed, answered, closed
    pub state: String,
    /// The state in Chinese; a closed case with its outcome (已办结，异议成立).
    pub state_label: String,
    /// How a closed case ended: upheld, dismissed, approved, rejected, accepted, founded,
    /// partly_founded, unfounded, withdrawn, lapsed; a dispute of an assessment result
    /// maintained or corrected.
    pub outcome: Option<String>,
    pub outcome_label: Option<String>,
    pub title: String,
    pub record_id: Option<i64>,
    /// The unit the case is about, and its name.
    pub subject_id: Option<i64>,
    pub subject: String,
    /// Who opened it, in Chinese (a unit's name, 社会公众, 系统, 信用办).
    pub applicant: String,
    /// Who holds it now (`null`: the credit office, or nobody once closed), and its name.
    pub assignee_unit: Option<i64>,
    pub holder: String,
    /// The deadline (a working day), `YYYY-MM-DD`.
    pub deadline: Option<String>,
    /// on_time, due_soon, overdue, no_deadline; absent for a closed case.
    pub due: Option<String>,
    /// Working days left (0 on the deadline day), while it is not overdue.
    pub days_left: Option<i64>,
    /// Working days past the deadline, once overdue.
    pub days_over: Option<i64>,
    /// The deadline in words: 剩余 5 个工作日, 即将到期（剩余 2 个工作日）, 已逾期 3 个工作日, 已办结.
    pub due_label: String,
    /// Ever overdue (counted on the unit's file even once answered).
    pub overdue_ever: bool,
    /// A complaint's tracking number.
    pub tracking_no: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
}

impl From<&probity_app::cases::CaseView> for CaseSummaryView {
    fn from(v: &probity_app::cases::CaseView) -> Self {
        use probity_domain::case::DueStatus;
        let c = &v.case;
        let (days_left, days_over) = match v.due {
            Some(DueStatus::OnTime { days_left } | DueStatus::DueSoon { days_left }) => {
                (Some(days_left), None)
            }
            Some(DueStatus::Overdue { days_over }) => (None, Some(days_over)),
            _ => (None, None),
        };
        CaseSummaryView {
            id: c.id,
            kind: c.kind.code().to_string(),
            kind_label: v.kind_label.to_string(),
            state: c.state.code().to_string(),
            state_label: v.state_label.clone(),
            outcome: c.outcome.map(|o| o.code().to_string()),
            outcome_label: c.outcome.map(|o| o.label().to_string()),
            title: c.title.clone(),
            record_id: c.record_id,
            subject_id: c.subject_id,
            subject: v.subject.clone(),
            applicant: v.applicant.clone(),
            assignee_unit: if c.state.is_closed() {
                None
            } else {
                c.assignee_unit
            },
            holder: v.holder.clone(),
            deadline: c.deadline.map(|d| d.to_string()),
            due: v.due.map(|d| d.code().to_string()),
            days_left,
            days_over,
            due_label: v.due_label.clone(),
            overdue_ever: c.overdue_ever,
            tracking_no: c.tracking_no.clone(),
            created_at: c.created_at.clone(),
            updated_at: c.updated_at.clone(),
            closed_at: c.closed_at.clone(),
        }
    }
}

/// A page of cases, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseSummaryView>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next_before: Option<i64>,
}

/// One step of a case's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseStepView {
    pub id: i64,
    pub at: String,
    /// Who, as the journal names them (`unit:xinhe`, `admin:li`, `public`).
    pub actor: String,
    /// applicant, assignee, credit_office, system
    pub party: String,
    pub party_label: String,
    /// `open`, or the action's code (answer, dismiss, file …).
    pub action: String,
    pub action_label: String,
    pub text: Option<String>,
    pub from_state: Option<String>,
    pub to_state: String,
    pub to_state_label: String,
}

impl From<&probity_store::CaseEvent> for CaseStepView {
    fn from(e: &probity_store::CaseEvent) -> Self {
        use probity_domain::case::{CaseState, Party};
        CaseStepView {
            id: e.id,
            at: e.at.clone(),
            actor: e.actor.clone(),
            party: e.party.clone(),
            party_label: Party::ALL
                .into_iter()
                .find(|p| p.code() == e.party)
                .map_or_else(|| e.party.clone(), |p| p.label().to_string()),
            action: e.action.clone(),
            action_label: probity_app::cases::step_label(&e.action),
            text: e.text.clone(),
            from_state: e.from_state.clone(),
            to_state: e.to_state.clone(),
            to_state_label: CaseState::parse(&e.to_state)
                .map_or_else(|| e.to_state.clone(), |s| s.label().to_string()),
        }
    }
}

/// An attachment's description; its bytes download from `url`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    /// The step it came with.
    pub step_id: i64,
    pub file_name: String,
    /// pdf, png, jpeg, doc, docx, xls, xlsx
    pub kind: String,
    pub mime: String,
    pub size: i64,
    /// The SM3 digest of its bytes, hexadecimal.
    pub sm3: String,
    pub created_at: String,
    pub url: String,
}

impl From<&probity_store::AttachmentMeta> for AttachmentView {
    fn from(a: &probity_store::AttachmentMeta) -> Self {
        AttachmentView {
            id: a.id,
            step_id: a.event_id,
            file_name: a.file_name.clone(),
            kind: a.kind.clone(),
            mime: attachment_mime(&a.kind).to_string(),
            size: a.size,
            sm3: hex::encode(&a.sm3),
            created_at: a.created_at.clone(),
            url: attachment_url(a.case_id, a.id),
        }
    }
}

/// The MIME type an attachment of stored kind `kind` is served as.
pub fn attachment_mime(kind: &str) -> &'static str {
    probity_domain::attachment::AttachmentType::parse(kind)
        .map_or("application/octet-stream", |t| t.mime())
}

/// A step the caller may take now, and what it must send with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseActionView {
    /// The `action` to send to `POST /api/v1/cases/{id}/steps`.
    pub code: String,
    pub label: String,
    /// `text` is required (reasons, an answer, a report).
    pub needs_text: bool,
    /// `finding` is required: founded, partly_founded or unfounded.
    pub needs_finding: bool,
    /// `rating` (1–5) is required.
    pub needs_rating: bool,
    /// `unit` names the unit (route: required; consult: the deciding authority, optional).
    pub takes_unit: bool,
}

impl From<probity_domain::case::CaseAction> for CaseActionView {
    fn from(a: probity_domain::case::CaseAction) -> Self {
        use probity_domain::case::CaseAction as A;
        CaseActionView {
            code: a.code().to_string(),
            label: a.label().to_string(),
            needs_text: a.needs_text(),
            needs_finding: matches!(a, A::Answer(_) | A::Close(_)),
            needs_rating: matches!(a, A::Rate(_)),
            takes_unit: matches!(a, A::Route | A::Consult),
        }
    }
}

/// The record a case is about, as far as the case shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseRecordView {
    pub id: i64,
    pub subject_name: String,
    pub category: String,
    pub document_no: String,
    pub state: String,
    pub state_label: String,
}

/// One case with its history, its attachments and what the caller may do on it now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetailView {
    #[serde(flatten)]
    pub case: CaseSummaryView,
    /// What the applicant wrote when it opened the case (reasons, statement, complaint).
    pub text: String,
    /// How a complaint arrived: web, hotline, new_media, letter.
    pub channel: Option<String>,
    pub rating: Option<i64>,
    /// The finding a complaint was answered or closed on.
    pub finding: Option<String>,
    /// What a kind keeps besides: a repair's declarations, the leniency granted, the draft
    /// record a founded complaint raised (`record_draft`).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// The caller's part in the case: applicant, assignee, credit_office.
    pub party: String,
    pub party_label: String,
    pub record: Option<CaseRecordView>,
    pub history: Vec<CaseStepView>,
    pub attachments: Vec<AttachmentView>,
    /// What the caller may do now.
    pub actions: Vec<CaseActionView>,
    /// The complainant's contact (credit office only).
    pub contact: Option<String>,
}

impl From<probity_app::cases::CaseDetail> for CaseDetailView {
    fn from(d: probity_app::cases::CaseDetail) -> Self {
        let c = &d.view.case;
        CaseDetailView {
            text: c.text.clone(),
            channel: c.channel.clone(),
            rating: c.rating,
            finding: c.finding.clone(),
            detail: c.detail.clone(),
            party: d.party.code().to_string(),
            party_label: d.party.label().to_string(),
            record: d.record.as_ref().map(|r| CaseRecordView {
                id: r.id,
                subject_name: r.subject_name.clone(),
                category: r.category.clone(),
                document_no: r.document_no.clone(),
                state: r.state.code().to_string(),
                state_label: r.state.label().to_string(),
            }),
            history: d.events.iter().map(CaseStepView::from).collect(),
            attachments: d.attachments.iter().map(AttachmentView::from).collect(),
            actions: d.actions.into_iter().map(CaseActionView::from).collect(),
            contact: d.contact.clone(),
            case: CaseSummaryView::from(&d.view),
        }
    }
}

/// A complaint just filed: the tracking number and the query code, shown this once (the code
/// is kept only as a hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct FiledComplaintView {
    pub tracking_no: String,
    pub code: String,
    /// The case (staff entries only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<i64>,
}

/// A complaint, or a report of an error on a public record (纠错), as the one who filed it
/// follows it: the steps without any staff name.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicComplaintView {
    pub tracking_no: String,
    /// complaint, or objection (a report of an error, `JC…`).
    pub kind: String,
    /// 投诉举报 or 纠错.
    pub kind_label: String,
    /// The record reported on (纠错), or the one a complaint named.
    pub record_id: Option<i64>,
    pub state: String,
    pub state_label: String,
    pub outcome: Option<String>,
    pub outcome_label: Option<String>,
    /// The unit complained about, or the unit the record reported on concerns.
    pub unit: String,
    pub filed_at: String,
    pub deadline: Option<String>,
    pub rating: Option<i64>,
    /// Whether the complainant may rate the answer now (never for a report of an error).
    pub may_rate: bool,
    pub history: Vec<PublicComplaintStepView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicComplaintStepView {
    pub at: String,
    /// 投诉人 or 纠错人, 信用办, 承办单位 or 报送单位, 系统.
    pub by: String,
    pub step: String,
    /// What was filed, and the answer's text (an answer, a closing note, an objection's
    /// decision with its reasons).
    pub text: Option<String>,
}

impl From<probity_app::cases::PublicComplaint> for PublicComplaintView {
    fn from(p: probity_app::cases::PublicComplaint) -> Self {
        PublicComplaintView {
            tracking_no: p.tracking_no,
            kind: p.kind,
            kind_label: p.kind_label,
            record_id: p.record_id,
            state: p.state,
            state_label: p.state_label,
            outcome: p.outcome,
            outcome_label: p.outcome_label,
            unit: p.unit,
            filed_at: p.filed_at,
            deadline: p.deadline.map(|d| d.to_string()),
            rating: p.rating,
            may_rate: p.may_rate,
            history: p
                .history
                .into_iter()
                .map(|s| PublicComplaintStepView {
                    at: s.at,
                    by: s.by,
                    step: s.step,
                    text: s.text,
                })
                .collect(),
        }
    }
}

/// A notification of a case to the caller's unit (or the credit office).
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    pub case_id: Option<i64>,
    pub message: String,
    pub created_at: String,
    pub read: bool,
    /// The case it is about (`GET`).
    pub case_url: Option<String>,
}

impl From<&probity_store::Notification> for NotificationView {
    fn from(n: &probity_store::Notification) -> Self {
        NotificationView {
            id: n.id,
            case_id: n.case_id,
            message: n.message.clone(),
            created_at: n.created_at.clone(),
            read: n.read,
            case_url: n.case_id.map(|c| format!("/api/v1/cases/{c}")),
        }
    }
}

/// The caller's newest notifications and how many are unread.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationsView {
    pub unread: i64,
    pub items: Vec<NotificationView>,
}

// ---------------------------------------------------------------------------------------------
// The assessment's periods, as addresses name them

/// Which period of a year an address means.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// mid_year (年中检查) or year_end (年终考评, the default).
    pub period: Option<String>,
}

/// The period an address names (`/api/v1/assessments/{year}…?period=`): the year, and the
/// year-end review unless `period` says otherwise.
pub fn period_of(year: &str, q: &PeriodQuery) -> Result<Period, ApiError> {
    let kind = match q.period.as_deref() {
        None | Some("") => PeriodKind::YearEnd,
        // The caller typed a code: the refusal names the codes beside the periods' names.
        Some(p) => PeriodKind::parse(p).map_err(|mut e| {
            e.message
                .push_str("（period 参数：mid_year 为年中检查，year_end 为年终考评）");
            e
        })?,
    };
    Ok(Period::new(year_of(year)?, kind)?)
}

/// An assessment year an address names, within the years an indicator set may have.
pub fn year_of(year: &str) -> Result<i32, ApiError> {
    let y: i32 = year.parse().map_err(|_| {
        ApiError::bad_request(
            "YEAR_INVALID",
            format!("考核年度无效：{}", crate::extract::truncate(year, 10)),
        )
    })?;
    Period::new(y, PeriodKind::YearEnd)?;
    Ok(y)
}

/// One fault of one rejected row of an imported file, as every import's report lists them.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportIssue {
    /// Row number as the official sees it in the file (the header is row 1).
    pub row: usize,
    /// The column's key (empty for a row the file itself could not give).
    pub column: String,
    /// The column's Chinese header.
    pub header: String,
    pub code: String,
    pub message: String,
}
