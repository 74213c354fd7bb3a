//! What the API answers: accounts, subjects, records and history entries as JSON, described in
//! the OpenAPI document. Never a password hash, a secret or a whole ID number.

use probity_store::{Account, StoredRecord, Subject};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub name: String,
    /// The holder's real name (姓名) and phone number (联系电话); blank if never given.
    pub real_name: String,
    pub phone: String,
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
