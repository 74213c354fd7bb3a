//! Records on the pages: a provider's own submissions, the one-record form with inline errors,
//! a record's detail and history, the credit office's review queue and lifecycle buttons, the
//! Excel templates, and an assessed unit's own credit file.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use probity_app::AppError;
use probity_app::records::{RecordInput, Saved, Via};
use probity_domain::account::AccountRole;
use probity_domain::catalog::{Catalog, Scope, Severity};
use probity_domain::record::{Action, RecordRow, RecordState};
use probity_store::{Channel, Cursor, RecordFilter, RecordOrder, RecordSummary, StoredRecord};
use serde::Deserialize;

use super::kit::{
    Ctx, Layout, Opt, PAGE_SIZE, PageForm, count_text, field_map, options, xlsx_download,
};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{blocking, parse_id};
use crate::http::{PageError, PageResult, done, local_time, nonempty};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/records", get(list))
        .route("/console/records.xlsx", get(export))
        .route("/console/records/new", get(new_form).post(create))
        .route("/console/records/{id}", get(detail))
        .route("/console/records/{id}/edit", get(edit_form).post(correct))
        .route("/console/records/{id}/submit", post(submit))
        .route("/console/records/{id}/activate", post(activate))
        .route("/console/records/{id}/send-back", post(send_back))
        .route("/console/records/{id}/revoke", post(revoke))
        .route("/console/review", get(review))
        .route("/console/review/activate", post(activate_batch))
        .route("/console/templates/{file}", get(template))
        .route("/console/file", get(own_file))
        .route("/console/file.xlsx", get(own_file_export))
        .route("/console/subjects/{id}", get(subject_file))
        .route("/console/subjects/{id}/file.xlsx", get(subject_file_export))
}

/// A record as a row of a list or a detail page.
pub struct RecordItem {
    pub id: i64,
    pub subject_name: String,
    pub category: String,
    pub category_name: String,
    pub kind: String,
    pub document_no: String,
    pub decided_on: String,
    pub authority: String,
    pub facts: String,
    pub basis: String,
    pub outcome: String,
    pub severity: String,
    pub scope: String,
    pub disclosure_until: String,
    pub state: String,
    pub state_label: String,
    /// Why the credit office sent it back; empty unless it is 已退回.
    pub sent_back: String,
    pub channel: String,
    pub source: String,
    pub submitted_by: String,
    pub first_seen: String,
    pub last_seen: String,
}

impl RecordItem {
    fn new(r: &StoredRecord, catalog: &Catalog) -> RecordItem {
        let (state, state_label) = state_shown(r.state, r.sent_back.is_some());
        RecordItem {
            id: r.id,
            subject_name: r.subject_name.clone(),
            category: r.category.clone(),
            category_name: catalog
                .get(&r.category)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| r.category.clone()),
            kind: r.kind.label().to_string(),
            document_no: r.document_no.clone(),
            decided_on: r.decided_on.to_string(),
            authority: r.authority.clone(),
            facts: r.facts.clone(),
            basis: r.basis.clone().unwrap_or_default(),
            outcome: r.outcome.clone(),
            severity: r.severity.map(|s| s.label()).unwrap_or("—").to_string(),
            scope: r.scope.label().to_string(),
            disclosure_until: r.disclosure_until.to_string(),
            state: state.to_string(),
            state_label: state_label.to_string(),
            sent_back: r.sent_back.clone().unwrap_or_default(),
            channel: channel_label(&r.channel).to_string(),
            // A file and its row; a form or an API call is said by the channel alone.
            source: match (r.channel.as_str(), r.source_row) {
                ("file", Some(row)) if row > 0 => format!("{} 第 {row} 行", r.source),
                ("file", _) => r.source.clone(),
                _ => String::new(),
            },
            submitted_by: probity_domain::audit::Actor::parse(&r.submitted_by).label(),
            first_seen: probity_domain::date::beijing_second(r.first_seen),
            last_seen: probity_domain::date::beijing_second(r.last_seen),
        }
    }
}

/// A record as one row of a list (`record_table.html`): only what the table shows.
pub struct RowItem {
    pub id: i64,
    pub subject_name: String,
    pub category_name: String,
    pub document_no: String,
    pub decided_on: String,
    pub severity: &'static str,
    pub disclosure_until: String,
    pub state: &'static str,
    pub state_label: &'static str,
}

impl RowItem {
    fn of_summary(r: RecordSummary, catalog: &Catalog) -> RowItem {
        let (state, state_label) = state_shown(r.state, r.sent_back.is_some());
        RowItem {
            id: r.id,
            category_name: category_name(catalog, r.category),
            subject_name: r.subject_name,
            document_no: r.document_no,
            decided_on: r.decided_on.to_string(),
            severity: r.severity.map(|s| s.label()).unwrap_or("—"),
            disclosure_until: r.disclosure_until.to_string(),
            state,
            state_label,
        }
    }

    fn of_record(r: StoredRecord, catalog: &Catalog) -> RowItem {
        let (state, state_label) = state_shown(r.state, r.sent_back.is_some());
        RowItem {
            id: r.id,
            category_name: category_name(catalog, r.category),
            subject_name: r.subject_name,
            document_no: r.document_no,
            decided_on: r.decided_on.to_string(),
            severity: r.severity.map(|s| s.label()).unwrap_or("—"),
            disclosure_until: r.disclosure_until.to_string(),
            state,
            state_label,
        }
    }
}

/// The category's name in the catalog, or its code if the catalog no longer has it.
fn category_name(catalog: &Catalog, code: String) -> String {
    match catalog.get(&code) {
        Some(c) => c.name.clone(),
        None => code,
    }
}

fn channel_label(code: &str) -> &str {
    match code {
        "file" => "文件导入",
        "form" => "网页填报",
        "api" => "接口报送",
        "exchange" => "数据交换",
        other => other,
    }
}

/// The list filter's value for drafts the credit office sent back (已退回), beside the states.
const SENT_BACK: &str = "sent_back";

fn state_options(current: &str) -> Vec<Opt> {
    let mut states: Vec<(String, String)> = RecordState::ALL
        .iter()
        .map(|s| (s.code().to_string(), s.label().to_string()))
        .collect();
    states.insert(1, (SENT_BACK.to_string(), "已退回".to_string()));
    options(states, current, Some("全部状态"))
}

/// A record's state as officials read it: a draft the credit office sent back is 已退回.
fn state_shown(state: RecordState, sent_back: bool) -> (&'static str, &'static str) {
    if sent_back && state == RecordState::Draft {
        (SENT_BACK, "已退回")
    } else {
        (state.code(), state.label())
    }
}

fn category_options(catalog: &Catalog, current: &str, blank: &str) -> Vec<Opt> {
    options(
        catalog
            .categories()
            .iter()
            .map(|c| (c.code.clone(), c.name.clone())),
        current,
        Some(blank),
    )
}

/// Filters every record list understands.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub state: Option<String>,
    pub category: Option<String>,
    pub document_no: Option<String>,
    /// Cursor of the next page (see [`Cursor`]).
    pub before: Option<String>,
    /// Cursor of the review queue's next page (oldest first).
    pub after: Option<String>,
    /// A [`RecordOrder`] code: `id_desc` (default), `id_asc` or `decided_desc`.
    pub sort: Option<String>,
    /// Only records whose disclosure ends within this many days (1 to 366) from today.
    pub ending: Option<String>,
}

impl ListQuery {
    fn order(&self) -> Result<RecordOrder, ApiError> {
        match nonempty(&self.sort) {
            None => Ok(RecordOrder::Newest),
            Some(s) => RecordOrder::parse(&s)
                .ok_or_else(|| ApiError::bad_request("QUERY_INVALID", "排序方式无效")),
        }
    }

    fn filter(&self, today: chrono::NaiveDate) -> Result<RecordFilter, ApiError> {
        let ending = match nonempty(&self.ending) {
            None => None,
            Some(e) => match e.parse::<i64>() {
                Ok(d) if (1..=366).contains(&d) => Some(today + chrono::TimeDelta::days(d)),
                _ => {
                    return Err(ApiError::bad_request(
                        "QUERY_INVALID",
                        "到期天数应为 1 至 366 之间的整数",
                    ));
                }
            },
        };
        let (state, sent_back) = match nonempty(&self.state) {
            Some(s) if s == SENT_BACK => (Some(RecordState::Draft), Some(true)),
            Some(s) => {
                let state = RecordState::parse(&s)?;
                // 草稿 alone: the drafts not sent back, as the dashboard counts them.
                (Some(state), (state == RecordState::Draft).then_some(false))
            }
            None => (None, None),
        };
        Ok(RecordFilter {
            state,
            sent_back,
            category: nonempty(&self.category),
            document_no: nonempty(&self.document_no),
            disclosure_until_by: ending,
            ..Default::default()
        })
    }

    /// The query string of these filters, for the next-page link.
    fn keep(&self) -> String {
        let mut q = String::new();
        for (k, v) in [
            ("state", &self.state),
            ("category", &self.category),
            ("document_no", &self.document_no),
            ("sort", &self.sort),
            ("ending", &self.ending),
        ] {
            if let Some(v) = nonempty(v) {
                q.push_str(&format!("&{k}={}", crate::http::percent_encode(&v)));
            }
        }
        q
    }
}

#[derive(Template)]
#[template(path = "records.html")]
struct ListTpl {
    l: Layout,
    items: Vec<RowItem>,
    states: Vec<Opt>,
    categories: Vec<Opt>,
    sorts: Vec<Opt>,
    endings: Vec<Opt>,
    document_no: String,
    next: Option<String>,
    /// The filters as a query string, for the export link.
    keep: String,
}

/// Reads a page cursor from a link; a hand-edited one is refused rather than ignored.
fn cursor(order: RecordOrder, text: &Option<String>) -> Result<Option<Cursor>, ApiError> {
    nonempty(text)
        .map(|t| {
            Cursor::parse(order, &t).ok_or_else(|| {
                ApiError::bad_request("QUERY_INVALID", "翻页位置无效，请从第一页重新浏览")
            })
        })
        .transpose()
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::http::PageQuery(q): crate::http::PageQuery<ListQuery>,
) -> PageResult {
    let f = q.filter(state.app.today())?;
    let order = q.order()?;
    let at = cursor(order, &q.before)?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    // One row more than a page says whether there is a next page.
    let (mut rows, catalog) = blocking(move || {
        Ok(probity_app::records::list(
            &app,
            &who,
            f,
            order,
            at.as_ref(),
            PAGE_SIZE + 1,
        )?)
    })
    .await?;
    let more = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    let next = rows.last().filter(|_| more).map(|r| {
        format!(
            "?before={}{}",
            Cursor::past(order, r.id, &r.decided_on.to_string()).encode(),
            q.keep()
        )
    });
    let title = if ctx.role() == AccountRole::Provider {
        "本单位报送的记录"
    } else {
        "信用记录"
    };
    Ok(ctx.page(&ListTpl {
        l: ctx.layout(title),
        items: rows
            .into_iter()
            .map(|r| RowItem::of_summary(r, &catalog))
            .collect(),
        states: state_options(q.state.as_deref().unwrap_or("")),
        categories: category_options(&catalog, q.category.as_deref().unwrap_or(""), "全部类别"),
        sorts: options(
            RecordOrder::ALL
                .iter()
                .map(|o| (o.code().to_string(), o.label().to_string())),
            order.code(),
            None,
        ),
        endings: options(
            [("30", "30 天内到期"), ("90", "90 天内到期")]
                .into_iter()
                .map(|(v, l)| (v.to_string(), l.to_string())),
            q.ending.as_deref().unwrap_or(""),
            Some("不限"),
        ),
        document_no: q.document_no.clone().unwrap_or_default(),
        next,
        keep: q.keep().replacen('&', "?", 1),
    }))
}

/// The filtered list as an Excel workbook (newest first, at most `records::EXPORT_CAP`): the
/// review queue's export is this with `state=submitted`.
async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::http::PageQuery(q): crate::http::PageQuery<ListQuery>,
) -> PageResult {
    let f = q.filter(state.app.today())?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let (bytes, _) = blocking(move || Ok(probity_app::records::export(&app, &who, f)?)).await?;
    Ok(super::kit::xlsx_download(
        bytes,
        "records.xlsx",
        "信用记录.xlsx",
    ))
}

/// One input of the record form, with its value and its error.
pub struct FormField {
    pub key: &'static str,
    pub label: &'static str,
    pub required: bool,
    /// `text`, `date`, `textarea` or `select`.
    pub kind: &'static str,
    /// The `<datalist>` a text field suggests from (search as you type, no script needed).
    pub list: &'static str,
    pub value: String,
    pub options: Vec<Opt>,
    pub hint: &'static str,
    pub error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    pub subject_name: String,
    #[serde(default)]
    pub uscc: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub document_no: String,
    #[serde(default)]
    pub decided_on: String,
    #[serde(default)]
    pub authority: String,
    #[serde(default)]
    pub facts: String,
    #[serde(default)]
    pub basis: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub disclosure_until: String,
    /// The credit office names the provider; a provider always submits as its own unit.
    #[serde(default)]
    pub provider: String,
    /// `draft` keeps it as a draft; anything else submits.
    #[serde(default)]
    pub action: String,
}

impl RecordForm {
    fn row(&self) -> RecordRow {
        RecordRow {
            subject_name: self.subject_name.clone(),
            uscc: self.uscc.clone(),
            id_number: self.id_number.clone(),
            category: self.category.clone(),
            document_no: self.document_no.clone(),
            decided_on: self.decided_on.clone(),
            authority: self.authority.clone(),
            facts: self.facts.clone(),
            basis: self.basis.clone(),
            outcome: self.outcome.clone(),
            severity: self.severity.clone(),
            scope: self.scope.clone(),
            disclosure_until: self.disclosure_until.clone(),
        }
    }

    fn fields(
        &self,
        catalog: &Catalog,
        errors: &HashMap<&str, String>,
        admin: bool,
    ) -> Vec<FormField> {
        let f = |key: &'static str, label, required, kind, value: &str, hint| FormField {
            key,
            label,
            required,
            kind,
            value: value.to_string(),
            options: vec![],
            list: "",
            hint,
            error: errors.get(key).cloned(),
        };
        let mut v = Vec::new();
        if admin {
            v.push(FormField {
                list: "roster-units",
                ..f(
                    "provider",
                    "报送单位",
                    true,
                    "text",
                    &self.provider,
                    "从名录中选择，或输入简称、全称、统一社会信用代码",
                )
            });
        }
        v.extend([
            FormField {
                list: "roster-units",
                ..f(
                    "subject_name",
                    "主体名称",
                    true,
                    "text",
                    &self.subject_name,
                    "输入简称或全称，从名录中选择；须已在主体名录中",
                )
            },
            f(
                "uscc",
                "统一社会信用代码",
                false,
                "text",
                &self.uscc,
                "选择名录中的单位时可不填；与身份证号二选一",
            ),
            f(
                "id_number",
                "身份证号",
                false,
                "text",
                &self.id_number,
                "公务员填写",
            ),
            FormField {
                options: category_options(catalog, &self.category, "请选择"),
                ..f("category", "记录类别", true, "select", &self.category, "")
            },
            f(
                "document_no",
                "决定文书号",
                true,
                "text",
                &self.document_no,
                "同一报送单位内唯一",
            ),
            f(
                "decided_on",
                "决定日期",
                true,
                "date",
                &self.decided_on,
                "如 2025-01-05",
            ),
            f("authority", "决定机关", true, "text", &self.authority, ""),
            f(
                "facts",
                "事实",
                true,
                "textarea",
                &self.facts,
                "失信行为或守信表现",
            ),
            f("basis", "处理依据", false, "textarea", &self.basis, ""),
            f("outcome", "处理结果", true, "textarea", &self.outcome, ""),
            FormField {
                options: options(
                    Severity::ALL
                        .iter()
                        .map(|s| (s.code().to_string(), s.label().to_string())),
                    &self.severity,
                    Some("按类别默认"),
                ),
                ..f(
                    "severity",
                    "严重程度",
                    false,
                    "select",
                    &self.severity,
                    "守信类别不填",
                )
            },
            FormField {
                options: options(
                    Scope::ALL
                        .iter()
                        .map(|s| (s.code().to_string(), s.label().to_string())),
                    &self.scope,
                    Some("按类别默认"),
                ),
                ..f("scope", "公开范围", false, "select", &self.scope, "")
            },
            f(
                "disclosure_until",
                "公示截止日期",
                false,
                "date",
                &self.disclosure_until,
                "不填则按严重程度取最长公示期",
            ),
        ]);
        v
    }
}

#[derive(Template)]
#[template(path = "record_new.html")]
struct NewTpl {
    l: Layout,
    fields: Vec<FormField>,
    error: Option<String>,
    templates: Vec<Opt>,
    /// Where the form posts: a new record, or the correction of record `editing`.
    action: String,
    editing: Option<i64>,
    /// The roster's units the subject and provider fields suggest (full name, and its short
    /// name and USCC as the label).
    units: Vec<Opt>,
}

async fn render_form(
    state: &AppState,
    ctx: &Ctx,
    form: &RecordForm,
    errors: HashMap<&'static str, String>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    render_any_form(state, ctx, form, errors, error, status, None).await
}

async fn render_any_form(
    state: &AppState,
    ctx: &Ctx,
    form: &RecordForm,
    errors: HashMap<&'static str, String>,
    error: Option<String>,
    status: StatusCode,
    editing: Option<i64>,
) -> PageResult {
    let app = state.app.clone();
    let (catalog, units) = blocking(move || {
        Ok((
            probity_app::catalog::current(&app)?,
            probity_app::roster::units(&app)?,
        ))
    })
    .await?;
    let units = units
        .into_iter()
        .map(|u| Opt {
            label: format!(
                "{} {}",
                u.short_name.as_deref().unwrap_or(""),
                u.uscc.as_deref().unwrap_or("")
            )
            .trim()
            .to_string(),
            value: u.name,
            selected: false,
        })
        .collect();
    // The provider of a record being corrected stays as it is.
    let admin = ctx.role() == AccountRole::Admin && editing.is_none();
    let (title, action) = match editing {
        Some(id) => (
            format!("更正信用记录 #{id}"),
            format!("/console/records/{id}/edit"),
        ),
        None => (
            "填报信用记录".to_string(),
            "/console/records/new".to_string(),
        ),
    };
    let t = NewTpl {
        l: ctx.layout(&title),
        action,
        editing,
        fields: form.fields(&catalog, &errors, admin),
        units,
        error,
        templates: catalog
            .categories()
            .iter()
            .map(|c| Opt {
                value: c.code.clone(),
                label: c.name.clone(),
                selected: false,
            })
            .collect(),
    };
    let mut res = ctx.page(&t);
    *res.status_mut() = status;
    Ok(res)
}

async fn new_form(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    render_form(
        &state,
        &ctx,
        &RecordForm::default(),
        HashMap::new(),
        None,
        StatusCode::OK,
    )
    .await
}

/// What submitting the form came to.
enum FormOutcome {
    Saved(Response),
    Invalid(HashMap<&'static str, String>, Option<String>),
}

/// A refusal of the form, shown on it: the fields' faults beside them, a refusal about one field
/// (the provider) beside that field, a broken rule above the form. Anything else is an error page.
fn refused_form(e: AppError) -> Result<FormOutcome, ApiError> {
    match e {
        AppError::Fields(errs) => Ok(FormOutcome::Invalid(field_map(errs, "subject_name"), None)),
        AppError::AtField(field, inner) => {
            let message = match *inner {
                AppError::BadInput {
                    code: "PROVIDER_REQUIRED",
                    ..
                } => "请填写报送单位".to_string(),
                other => match ApiError::from(other) {
                    e if e.status().is_server_error() => return Err(e),
                    e => e.detail().message,
                },
            };
            Ok(FormOutcome::Invalid(
                HashMap::from([(field, message)]),
                None,
            ))
        }
        AppError::Domain(d) => Ok(FormOutcome::Invalid(HashMap::new(), Some(d.message))),
        other => Err(other.into()),
    }
}

async fn create(State(state): State<AppState>, p: PageForm<RecordForm>) -> PageResult {
    let PageForm { ctx, form } = p;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let input = RecordInput {
        row: form.row(),
        provider: Some(form.provider.trim().to_string()),
        draft: form.action == "draft",
    };
    let draft = input.draft;
    let outcome = blocking(move || {
        let via = Via {
            channel: Channel::Form,
            source: "网页填报".into(),
        };
        Ok(match probity_app::records::create(&app, &who, input, via) {
            Ok(Saved::New(r)) if draft => FormOutcome::Saved(done(
                &format!("/console/records/{}", r.id),
                &format!("已保存草稿 #{}（尚未报送）", r.id),
            )),
            Ok(Saved::New(r)) => FormOutcome::Saved(done(
                &format!("/console/records/{}", r.id),
                &format!("已报送记录 #{}，等待信用办审核", r.id),
            )),
            Ok(Saved::Existing(r)) => FormOutcome::Saved(done(
                &format!("/console/records/{}", r.id),
                &format!("相同的记录已存在（#{}），未重复入库", r.id),
            )),
            Err(e) => refused_form(e)?,
        })
    })
    .await?;
    match outcome {
        FormOutcome::Saved(res) => Ok(res),
        FormOutcome::Invalid(errors, general) => {
            let general = general.or_else(|| {
                Some(format!(
                    "有 {} 项需要修改，请按提示更正后重新提交",
                    errors.len()
                ))
            });
            render_form(
                &state,
                &ctx,
                &form,
                errors,
                general,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// One audit entry as the history shows it.
pub struct HistoryItem {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// A case about the record (异议, 信用修复, 整改, 投诉), as the record page lists it.
pub struct RecordCase {
    pub id: i64,
    pub kind: &'static str,
    pub state: String,
    pub holder: String,
    pub due: String,
    pub open: bool,
}

#[derive(Template)]
#[template(path = "record.html")]
struct DetailTpl {
    l: Layout,
    r: RecordItem,
    history: Option<Vec<HistoryItem>>,
    can_submit: bool,
    can_correct: bool,
    can_review: bool,
    can_revoke: bool,
    cases: Vec<RecordCase>,
    /// A unit's own record it may object to (提出异议), or apply to repair (申请信用修复).
    can_object: bool,
    can_repair: bool,
    /// Why a unit's active dishonest record may not be repaired yet.
    repair_note: Option<String>,
}

/// The cases of a record, newest first, and what a unit may open on it: an objection when the
/// record may be objected to and none is open; a repair when the category's conditions are met
/// today and none is open (or why not).
struct RecordCases {
    cases: Vec<RecordCase>,
    can_object: bool,
    can_repair: bool,
    repair_note: Option<String>,
}

fn record_cases(
    app: &probity_app::App,
    who: &probity_app::Actor,
    r: &StoredRecord,
    catalog: &Catalog,
) -> Result<RecordCases, ApiError> {
    use probity_domain::case::{CaseKind, objection, repair};
    let role = who.role();
    if !matches!(
        role,
        AccountRole::Admin | AccountRole::Provider | AccountRole::Unit
    ) {
        return Ok(RecordCases {
            cases: Vec::new(),
            can_object: false,
            can_repair: false,
            repair_note: None,
        });
    }
    let views = probity_app::cases::list(
        app,
        who,
        probity_store::CaseFilter {
            record_id: Some(r.id),
            ..Default::default()
        },
        None,
        PAGE_SIZE,
    )?;
    let open = |k: CaseKind| {
        views
            .iter()
            .any(|v| v.case.kind == k && !v.case.state.is_closed())
    };
    let unit = role == AccountRole::Unit;
    let can_object = unit && objection::may_object(r.state).is_ok() && !open(CaseKind::Objection);
    let (can_repair, repair_note) = if unit
        && r.kind == probity_domain::catalog::RecordKind::Dishonest
        && r.state == RecordState::Active
        && !open(CaseKind::Repair)
    {
        let d = probity_app::cases::deadlines(app)?;
        match catalog.get(&r.category).map(|c| {
            repair::eligibility(c, r.severity, r.decided_on, app.today(), &d)
                .and_then(|()| repair::may_repair(r.state))
        }) {
            Some(Ok(())) => (true, None),
            Some(Err(e)) => (false, Some(e.message)),
            None => (false, None),
        }
    } else {
        (false, None)
    };
    Ok(RecordCases {
        cases: views
            .into_iter()
            .map(|v| RecordCase {
                id: v.case.id,
                kind: v.kind_label,
                open: !v.case.state.is_closed(),
                state: v.state_label,
                holder: v.holder,
                due: v.due_label,
            })
            .collect(),
        can_object,
        can_repair,
        repair_note,
    })
}

async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    // The history follows the API's table: the credit office and the provider read it.
    let (r, catalog, history, cases) = blocking(move || {
        let (r, catalog, history) = probity_app::records::detail(&app, &who, id)?;
        let cases = record_cases(&app, &who, &r, &catalog)?;
        Ok((r, catalog, history, cases))
    })
    .await?;
    let role = ctx.role();
    let t = DetailTpl {
        cases: cases.cases,
        can_object: cases.can_object,
        can_repair: cases.can_repair,
        repair_note: cases.repair_note,
        l: ctx.layout(&format!("信用记录 #{id}")),
        can_submit: r.state == RecordState::Draft
            && matches!(role, AccountRole::Provider | AccountRole::Admin),
        can_correct: probity_app::records::correctable(&r).is_ok()
            && matches!(role, AccountRole::Provider | AccountRole::Admin),
        can_review: r.state == RecordState::Submitted && role == AccountRole::Admin,
        can_revoke: matches!(r.state, RecordState::Active | RecordState::Objected)
            && role == AccountRole::Admin,
        r: RecordItem::new(&r, &catalog),
        history: history.map(|h| {
            h.into_iter()
                .map(|e| HistoryItem {
                    seq: e.seq,
                    at: local_time(&e.at),
                    actor: e.actor_label(),
                    action: e.action_label(),
                    detail: probity_domain::audit::particulars(&e.detail),
                })
                .collect()
        }),
    };
    Ok(ctx.page(&t))
}

/// The form of a record as stored, to correct it. An ID number is stored encrypted and never
/// shown again: a correction of a civil servant's record asks for it anew.
fn form_of(r: &StoredRecord, uscc: Option<String>) -> RecordForm {
    RecordForm {
        subject_name: r.subject_name.clone(),
        uscc: uscc.unwrap_or_default(),
        category: r.category.clone(),
        document_no: r.document_no.clone(),
        decided_on: r.decided_on.to_string(),
        authority: r.authority.clone(),
        facts: r.facts.clone(),
        basis: r.basis.clone().unwrap_or_default(),
        outcome: r.outcome.clone(),
        severity: r.severity.map(|s| s.code().to_string()).unwrap_or_default(),
        scope: r.scope.code().to_string(),
        disclosure_until: r.disclosure_until.to_string(),
        ..RecordForm::default()
    }
}

async fn edit_form(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let form = blocking(move || {
        let (r, uscc) = probity_app::records::for_correction(&app, &who, id)?;
        Ok(form_of(&r, uscc))
    })
    .await?;
    let mut errors = HashMap::new();
    if form.uscc.is_empty() {
        errors.insert(
            "id_number",
            "出于个人信息保护，身份证号不再显示；更正时请重新填写".to_string(),
        );
    }
    render_any_form(&state, &ctx, &form, errors, None, StatusCode::OK, Some(id)).await
}

async fn correct(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<RecordForm>,
) -> PageResult {
    let id = parse_id(&id)?;
    let PageForm { ctx, form } = p;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let row = form.row();
    let outcome = blocking(move || {
        // A record that may not be corrected (any more) is an error page, as before the form;
        // a rule the store refuses after that is shown above the form.
        probity_app::records::for_correction(&app, &who, id)?;
        Ok(match probity_app::records::correct(&app, &who, id, row) {
            Ok(r) => FormOutcome::Saved(done(
                &format!("/console/records/{}", r.id),
                &format!("已更正记录 #{}（状态仍为“{}”）", r.id, r.state.label()),
            )),
            Err(e) => refused_form(e)?,
        })
    })
    .await?;
    match outcome {
        FormOutcome::Saved(res) => Ok(res),
        FormOutcome::Invalid(errors, general) => {
            let general = general.or_else(|| {
                Some(format!(
                    "有 {} 项需要修改，请按提示更正后重新提交",
                    errors.len()
                ))
            });
            render_any_form(
                &state,
                &ctx,
                &form,
                errors,
                general,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(id),
            )
            .await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    pub reason: String,
    /// Where to go afterwards: `review` for the queue, else the record.
    #[serde(default)]
    pub back: String,
}

async fn act(state: AppState, p: PageForm<ReasonForm>, id: String, action: Action) -> PageResult {
    let id = parse_id(&id)?;
    let reason = p.form.reason.trim().to_string();
    let app = state.app.clone();
    let who = p.ctx.caller.who();
    let r2 = reason.clone();
    blocking(move || {
        probity_app::records::act(&app, &who, id, action, &r2).map_err(|e| match e {
            // The form has no field for it: the page says where to go back to.
            AppError::Invalid {
                code: "REASON_REQUIRED",
                message,
            } => ApiError::Unprocessable {
                code: "REASON_REQUIRED",
                message: format!("{message}，请返回填写"),
                fields: vec![],
            },
            other => other.into(),
        })
    })
    .await?;
    let message = match action {
        Action::Activate => format!("已审核生效记录 #{id}"),
        Action::SendBack => format!("已退回记录 #{id}（理由：{reason}）"),
        Action::Revoke => format!("已撤销记录 #{id}（理由：{reason}）"),
        Action::Submit => format!("已报送记录 #{id}，等待信用办审核"),
        other => format!("已{}记录 #{id}", other.label()),
    };
    let to = match review_back(&p.form.back) {
        Some(to) => to,
        None => format!("/console/records/{id}"),
    };
    Ok(done(&to, &message))
}

/// Back to the review queue page the action was taken on: `review` and its query string. Only
/// ever a path under `/console/review`, with nothing a header cannot carry.
fn review_back(back: &str) -> Option<String> {
    let query = back.strip_prefix("review")?;
    let fine = (query.is_empty() || query.starts_with('?'))
        && query.len() <= 1000
        && query.bytes().all(|b| b.is_ascii_graphic());
    fine.then(|| format!("/console/review{query}"))
}

async fn submit(
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<ReasonForm>,
) -> PageResult {
    act(s, p, id, Action::Submit).await
}
async fn activate(
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<ReasonForm>,
) -> PageResult {
    act(s, p, id, Action::Activate).await
}
async fn send_back(
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<ReasonForm>,
) -> PageResult {
    act(s, p, id, Action::SendBack).await
}
async fn revoke(
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: PageForm<ReasonForm>,
) -> PageResult {
    act(s, p, id, Action::Revoke).await
}

/// A record waiting in the review queue: what the reviewer decides on.
pub struct QueueItem {
    pub r: RecordItem,
    /// The facts, cut to a line (the whole text in the cell's title).
    pub facts_short: String,
    /// The reporting unit's name.
    pub provider: String,
}

impl QueueItem {
    fn new(r: &StoredRecord, q: &probity_app::records::ReviewQueue) -> QueueItem {
        QueueItem {
            r: RecordItem::new(r, &q.catalog),
            facts_short: crate::extract::truncate(&r.facts, 60),
            provider: q.providers.get(&r.provider_id).cloned().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewTpl {
    l: Layout,
    items: Vec<QueueItem>,
    categories: Vec<Opt>,
    document_no: String,
    total: String,
    /// This page's own query string, so that an action returns to it.
    here: String,
    next: Option<String>,
}

/// How far the review queue counts before it says "N+".
const QUEUE_COUNT_CAP: u32 = 10_000;

async fn review(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::http::PageQuery(q): crate::http::PageQuery<ListQuery>,
) -> PageResult {
    let f = q.filter(state.app.today())?;
    let at = cursor(RecordOrder::Oldest, &q.after)?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    // First come, first served: the queue reads oldest first.
    let mut queue = blocking(move || {
        Ok(probity_app::records::review_queue(
            &app,
            &who,
            f,
            at.as_ref(),
            PAGE_SIZE + 1,
            QUEUE_COUNT_CAP,
        )?)
    })
    .await?;
    let more = queue.records.len() > PAGE_SIZE as usize;
    queue.records.truncate(PAGE_SIZE as usize);
    let next = queue
        .records
        .last()
        .filter(|_| more)
        .map(|r| format!("?after={}{}", r.id, q.keep()));
    let here = match nonempty(&q.after) {
        Some(a) => format!("?after={}{}", crate::http::percent_encode(&a), q.keep()),
        None => q.keep().replacen('&', "?", 1),
    };
    Ok(ctx.page(&ReviewTpl {
        l: ctx.layout("审核队列（待审核，最早报送在前）"),
        items: queue
            .records
            .iter()
            .map(|r| QueueItem::new(r, &queue))
            .collect(),
        categories: category_options(
            &queue.catalog,
            q.category.as_deref().unwrap_or(""),
            "全部类别",
        ),
        document_no: q.document_no.clone().unwrap_or_default(),
        total: count_text(queue.total, QUEUE_COUNT_CAP),
        here,
        next,
    }))
}

/// The batch approval form: a `pick_<id>` checkbox per record, `confirm` once the reviewer has
/// seen the list, and the queue page to go back to.
type BatchForm = std::collections::BTreeMap<String, String>;

#[derive(Template)]
#[template(path = "review_confirm.html")]
struct ConfirmTpl {
    l: Layout,
    items: Vec<QueueItem>,
    back: String,
    cancel: String,
}

/// 批量审核生效: the first post shows the records picked and asks for confirmation; the second
/// (with `confirm`) activates them, each on its own, and says what came of each.
async fn activate_batch(State(state): State<AppState>, p: PageForm<BatchForm>) -> PageResult {
    let mut ids = Vec::new();
    for (key, value) in &p.form {
        if let Some(id) = key.strip_prefix("pick_")
            && !value.is_empty()
        {
            ids.push(parse_id(id)?);
        }
        if ids.len() > probity_app::records::MAX_BATCH {
            break;
        }
    }
    let back = p.form.get("back").cloned().unwrap_or_default();
    let to = review_back(&back).unwrap_or_else(|| "/console/review".into());
    let app = state.app.clone();
    let who = p.ctx.caller.who();
    if p.form.get("confirm").is_none_or(String::is_empty) {
        if ids.is_empty() {
            return Ok(done(&to, "请先勾选要审核生效的记录"));
        }
        let picked = ids.clone();
        let queue = blocking(move || {
            let mut f = probity_store::RecordFilter {
                ids: Some(picked),
                ..Default::default()
            };
            f.state = Some(RecordState::Submitted);
            Ok(probity_app::records::review_queue(
                &app,
                &who,
                f,
                None,
                probity_app::records::MAX_BATCH as u32 + 1,
                QUEUE_COUNT_CAP,
            )?)
        })
        .await?;
        return Ok(p.ctx.page(&ConfirmTpl {
            l: p.ctx.layout("确认批量审核生效"),
            items: queue
                .records
                .iter()
                .map(|r| QueueItem::new(r, &queue))
                .collect(),
            back,
            cancel: to,
        }));
    }
    let batch =
        blocking(move || Ok(probity_app::records::activate_many(&app, &who, &ids)?)).await?;
    let mut message = format!("已审核生效 {} 条记录", batch.done.len());
    if !batch.refused.is_empty() {
        let shown: Vec<String> = batch
            .refused
            .iter()
            .take(5)
            .map(|(id, why)| format!("#{id}：{}", crate::extract::truncate(why, 40)))
            .collect();
        message.push_str(&format!(
            "；{} 条未能生效（{}{}）",
            batch.refused.len(),
            shown.join("；"),
            if batch.refused.len() > 5 {
                "……"
            } else {
                ""
            }
        ));
    }
    Ok(done(&to, &message))
}

/// The .xlsx template of one category, with a Chinese file name.
async fn template(
    State(state): State<AppState>,
    _ctx: Ctx,
    Path(file): Path<String>,
) -> PageResult {
    let Some(code) = file.strip_suffix(".xlsx") else {
        return Err(PageError(ApiError::NotFound(format!(
            "未找到：{}",
            crate::extract::truncate(&file, 40)
        ))));
    };
    let code = code.to_string();
    let app = state.app.clone();
    let (bytes, name) = blocking(move || {
        let catalog = probity_app::catalog::current(&app)?;
        let cat = catalog
            .get(&code)
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "未找到：记录类别 {}",
                    crate::extract::truncate(&code, 40)
                ))
            })?
            .clone();
        let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(e.to_string()))?;
        let out = dir.path().join("template.xlsx");
        probity_app::templates::write_records_template(
            &catalog,
            Some(&cat.code),
            &out,
            app.today(),
        )
        .map_err(|e| ApiError::Internal(e.to_string()))?;
        let bytes = std::fs::read(&out).map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok((bytes, format!("信用记录导入模板-{}.xlsx", cat.name)))
    })
    .await?;
    Ok(xlsx_download(bytes, &file, &name))
}

/// A subject on the file page.
pub struct SubjectItem {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub uscc: String,
}

#[derive(Template)]
#[template(path = "file.html")]
struct FileTpl {
    l: Layout,
    unit: SubjectItem,
    predecessors: Vec<SubjectItem>,
    items: Vec<RowItem>,
    states: Vec<Opt>,
    total: usize,
    next: Option<String>,
    /// The Excel export of the whole file.
    export: String,
    /// The day the page was made (a printed file says when).
    printed_on: String,
    /// Where the credit office edits the subject (not on a unit's own file).
    edit: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct FileQuery {
    state: Option<String>,
    page: Option<String>,
}

async fn own_file(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::http::PageQuery(q): crate::http::PageQuery<FileQuery>,
) -> PageResult {
    let app = state.app.clone();
    let who = ctx.caller.who();
    let file = blocking(move || Ok(probity_app::records::own_file(&app, &who)?)).await?;
    let today = state.app.today().to_string();
    file_page(
        &ctx,
        file,
        &q,
        "本单位信用档案".into(),
        "/console/file.xlsx".into(),
        today,
    )
}

/// A subject's file (档案) as the credit office opens it from the roster.
async fn subject_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    crate::http::PageQuery(q): crate::http::PageQuery<FileQuery>,
) -> PageResult {
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let file = blocking(move || Ok(probity_app::records::file_of(&app, &who, id)?)).await?;
    let title = format!("信用档案：{}", file.unit.name);
    let today = state.app.today().to_string();
    file_page(
        &ctx,
        file,
        &q,
        title,
        format!("/console/subjects/{id}/file.xlsx"),
        today,
    )
}

/// The unit's own file as an Excel workbook.
async fn own_file_export(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let app = state.app.clone();
    let who = ctx.caller.who();
    let bytes = blocking(move || {
        let f = probity_app::records::own_file(&app, &who)?;
        Ok(probity_app::records::file_workbook(&app, &f)?)
    })
    .await?;
    Ok(super::kit::xlsx_download(
        bytes,
        "file.xlsx",
        "信用档案.xlsx",
    ))
}

/// A subject's file as an Excel workbook, named after the subject.
async fn subject_file_export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id = parse_id(&id)?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let (bytes, name) = blocking(move || {
        let f = probity_app::records::file_of(&app, &who, id)?;
        Ok((
            probity_app::records::file_workbook(&app, &f)?,
            f.unit.name.clone(),
        ))
    })
    .await?;
    Ok(super::kit::xlsx_download(
        bytes,
        "file.xlsx",
        &format!("{name}信用档案.xlsx"),
    ))
}

fn file_page(
    ctx: &Ctx,
    file: probity_app::records::OwnFile,
    q: &FileQuery,
    title: String,
    export: String,
    printed_on: String,
) -> PageResult {
    let want = nonempty(&q.state)
        .map(|s| RecordState::parse(&s))
        .transpose()?;
    // Past the last page shows an empty page, not an error; huge numbers must not overflow.
    let page = nonempty(&q.page)
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let probity_app::records::OwnFile {
        unit: subject,
        predecessors: preds,
        records,
        catalog,
    } = file;
    let item = |s: &probity_store::Subject| SubjectItem {
        id: s.id,
        name: s.name.clone(),
        kind: s.kind.label().to_string(),
        uscc: s.uscc.clone().unwrap_or_default(),
    };
    let filtered: Vec<StoredRecord> = records
        .into_iter()
        .filter(|r| want.is_none_or(|w| r.state == w))
        .collect();
    let per = PAGE_SIZE as usize;
    let total = filtered.len();
    let items = filtered
        .into_iter()
        .skip((page - 1) * per)
        .take(per)
        .map(|r| RowItem::of_record(r, &catalog))
        .collect();
    let next = (total > page * per).then(|| {
        format!(
            "?page={}{}",
            page + 1,
            want.map(|w| format!("&state={}", w.code()))
                .unwrap_or_default()
        )
    });
    Ok(ctx.page(&FileTpl {
        l: ctx.layout(&title),
        unit: item(&subject),
        predecessors: preds.iter().map(item).collect(),
        items,
        states: state_options(q.state.as_deref().unwrap_or("")),
        total,
        // The credit office's view of a subject's file (not a unit's own) offers the edit.
        edit: export
            .starts_with("/console/subjects/")
            .then(|| format!("/console/subjects/{}/edit", subject.id)),
        next,
        export,
        printed_on,
    }))
}
