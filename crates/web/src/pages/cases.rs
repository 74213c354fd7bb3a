//! Cases on the pages (案件办理): the credit office's dashboard of open, due-soon and overdue
//! cases above the list of every case (a unit or provider sees the cases it holds first), the
//! list as Excel, a case with its history, its attachments and one form per step the caller may
//! take, a unit's objection (异议) and credit repair (信用修复) from its own record, the credit
//! office's entry of a hotline or letter complaint, and the notifications behind the bell. What a
//! caller may do and what follows is `probity_app::cases`'s; these pages ask and show.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::NaiveDate;
use probity_app::AppError;
use probity_app::cases::date_text;
use probity_app::cases::{CaseDetail, CaseView, StepRequest, Upload};
use probity_domain::account::AccountRole;
use probity_domain::attachment::{AttachmentType, MAX_ATTACHMENT_BYTES};
use probity_domain::case::complaint::{Channel, ComplaintInput};
use probity_domain::case::repair::{self, Leniency, RepairApplication};
use probity_domain::case::{CaseAction, CaseKind, DueStatus, Finding, Party, objection};
use probity_domain::catalog::RecordKind;
use probity_domain::subject::SubjectKind;
use probity_store::{CaseFilter, StoredRecord};
use serde::Deserialize;

use super::kit::{
    Ctx, Layout, Opt, PAGE_SIZE, PageForm, PageUpload, UploadedFile, download, field_map, options,
    xlsx_download,
};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{blocking, parse_id, truncate};
use crate::http::{PageError, PageQuery, PageResult, done, nonempty, query_string};

/// The most bytes of files one step carries: every file at its largest.
const FILES_LIMIT: usize = probity_app::cases::MAX_FILES_PER_STEP * MAX_ATTACHMENT_BYTES;

/// The body a form with files may send: its files and the form around them.
const BODY_LIMIT: usize = FILES_LIMIT + 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/cases", get(list))
        .route("/console/cases.xlsx", get(export))
        .route("/console/cases/{id}", get(detail))
        .route(
            "/console/cases/{id}/step",
            post(step).layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route(
            "/console/cases/{id}/attachments/{file}",
            get(attachment_file),
        )
        .route(
            "/console/records/{id}/object",
            get(object_form)
                .post(object)
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route(
            "/console/records/{id}/repair",
            get(repair_form)
                .post(repair)
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route(
            "/console/complaints/new",
            get(complaint_form).post(complaint),
        )
        .route(
            "/console/cases/deadlines",
            get(deadlines_page).post(save_deadlines),
        )
        .route("/console/notifications", get(notifications))
        .route("/console/notifications/read", post(mark_read))
}

/// What the file inputs accept, by extension (the content is checked by the use case).
fn accept() -> String {
    AttachmentType::ALL
        .iter()
        .flat_map(|t| t.extensions().iter())
        .map(|e| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The hint under a file input. (The domain's own list, `attachment::accepted`, spells JPEG in
/// capitals, which the pages keep for codes; people know the files as JPG.)
fn files_hint() -> String {
    format!(
        "可选，最多 {} 个文件，每个不超过 {} MB；接受 PDF、PNG 和 JPG 图片、Word（.doc、.docx）、Excel（.xls、.xlsx）",
        probity_app::cases::MAX_FILES_PER_STEP,
        MAX_ATTACHMENT_BYTES / (1024 * 1024),
    )
}

/// The files of a form, for the use case (which checks each by content and size).
fn uploads(files: Vec<(String, UploadedFile)>) -> Vec<Upload> {
    files
        .into_iter()
        .map(|(_, f)| Upload {
            file_name: f.file_name,
            bytes: f.bytes,
        })
        .collect()
}

/// A refusal shown on the form it answers, or the error page for anything else (not found, a
/// failure of the server).
fn refusal(e: AppError) -> Result<String, PageError> {
    match e {
        AppError::NotFound(_) | AppError::Store(_) | AppError::Other(_) => Err(e.into()),
        AppError::AtField(_, inner) => refusal(*inner),
        other => Ok(other.to_string()),
    }
}

/// Who took a step, as the history shows it: the journal's actor in Chinese.
fn who_label(actor: &str) -> String {
    use probity_domain::audit::Actor;
    match Actor::parse(actor) {
        Actor::Other(s) if s == "public" => "社会公众".to_string(),
        Actor::System(Some(s)) if s == "rectification" => "系统（失信记录生效后自动立案）".into(),
        Actor::System(Some(s)) if s == "deadline" => "系统（期限提醒）".into(),
        a => a.label(),
    }
}

// ---------------------------------------------------------------------------------------------
// The list and the dashboard

/// A case as one row of a list.
pub struct CaseRow {
    pub id: i64,
    pub kind: &'static str,
    pub title: String,
    pub tracking_no: String,
    pub subject: String,
    pub holder: String,
    pub state: String,
    pub deadline: String,
    pub due: String,
    /// `overdue`, `due_soon` or empty: how the deadline is marked.
    pub due_class: &'static str,
}

impl CaseRow {
    fn new(v: &CaseView) -> CaseRow {
        CaseRow {
            id: v.case.id,
            kind: v.kind_label,
            title: v.case.title.clone(),
            tracking_no: v.case.tracking_no.clone().unwrap_or_default(),
            subject: v.subject.clone(),
            holder: v.holder.clone(),
            state: v.state_label.clone(),
            deadline: if v.case.state.is_closed() {
                "—".into()
            } else {
                date_text(v.case.deadline)
            },
            due: v.due_label.clone(),
            due_class: due_class(v.due),
        }
    }
}

/// How a deadline is marked on a list: `overdue`, `due_soon`, or not at all.
fn due_class(due: Option<DueStatus>) -> &'static str {
    match due {
        Some(DueStatus::Overdue { .. }) => "overdue",
        Some(DueStatus::DueSoon { .. }) => "due_soon",
        _ => "",
    }
}

/// The list's filters, as the query string carries them.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    /// A `CaseKind` code.
    kind: Option<String>,
    /// `open` (未办结) or `closed` (已办结).
    state: Option<String>,
    /// `due_soon` or `overdue` (as the deadline clock last marked the case), or `on_time`.
    due: Option<String>,
    /// A unit's id, or `office` for the credit office.
    holder: Option<String>,
    /// The id the next page starts below.
    before: Option<String>,
}

/// The holder filter's value for the credit office.
const OFFICE: &str = "office";

fn invalid(message: &str) -> ApiError {
    ApiError::bad_request("QUERY_INVALID", message)
}

impl ListQuery {
    fn filter(&self) -> Result<CaseFilter, ApiError> {
        let kind = nonempty(&self.kind)
            .map(|k| CaseKind::parse(&k).ok_or_else(|| invalid("案件类型无效")))
            .transpose()?;
        let open = match nonempty(&self.state).as_deref() {
            None => None,
            Some("open") => Some(true),
            Some("closed") => Some(false),
            Some(_) => return Err(invalid("案件状态应为未办结或已办结")),
        };
        let due = match nonempty(&self.due).as_deref() {
            None => None,
            Some(d @ ("on_time" | "due_soon" | "overdue")) => Some(d.to_string()),
            Some(_) => return Err(invalid("期限情况应为即将到期或已逾期")),
        };
        let assignee = match nonempty(&self.holder).as_deref() {
            None => None,
            Some(OFFICE) => Some(None),
            Some(h) => Some(Some(parse_id(h)?)),
        };
        Ok(CaseFilter {
            kind,
            open,
            due,
            assignee,
            ..CaseFilter::default()
        })
    }

    fn before(&self) -> Result<Option<i64>, ApiError> {
        nonempty(&self.before).map(|b| parse_id(&b)).transpose()
    }

    /// The filters as a query string (without the page), for the export and the next page.
    fn keep(&self) -> String {
        let v = |o: &Option<String>| nonempty(o).unwrap_or_default();
        query_string(&[
            ("kind", &v(&self.kind)),
            ("state", &v(&self.state)),
            ("due", &v(&self.due)),
            ("holder", &v(&self.holder)),
        ])
    }
}

/// One line of the dashboard: open, due-soon and overdue cases, each with the list behind it.
pub struct DashLine {
    pub label: String,
    pub open: i64,
    pub due_soon: i64,
    pub overdue: i64,
    pub open_link: String,
    pub due_soon_link: String,
    pub overdue_link: String,
}

impl DashLine {
    /// A line of the cases of `kind` (all kinds: empty) held by `holder` (any holder: empty).
    fn new(label: String, kind: &str, holder: &str) -> DashLine {
        let link = |due: &str| {
            format!(
                "/console/cases?{}",
                query_string(&[
                    ("kind", kind),
                    ("state", "open"),
                    ("due", due),
                    ("holder", holder),
                ])
            )
        };
        DashLine {
            label,
            open: 0,
            due_soon: 0,
            overdue: 0,
            open_link: link(""),
            due_soon_link: link("due_soon"),
            overdue_link: link("overdue"),
        }
    }

    fn add(&mut self, r: &probity_app::cases::DashboardRow) {
        self.open += r.open;
        self.due_soon += r.due_soon;
        self.overdue += r.overdue;
    }
}

/// The dashboard's two tables: by kind (with the total last) and by holder.
fn dashboard_lines(rows: &[probity_app::cases::DashboardRow]) -> (Vec<DashLine>, Vec<DashLine>) {
    let mut by_kind: Vec<DashLine> = CaseKind::ALL
        .iter()
        .map(|k| DashLine::new(k.label().to_string(), k.code(), ""))
        .collect();
    let mut total = DashLine::new("合计".into(), "", "");
    let mut by_holder: Vec<(Option<i64>, DashLine)> = Vec::new();
    for r in rows {
        if let Some(i) = CaseKind::ALL.iter().position(|k| *k == r.kind) {
            by_kind[i].add(r);
        }
        total.add(r);
        let i = match by_holder.iter().position(|(h, _)| *h == r.holder) {
            Some(i) => i,
            None => {
                let value = r.holder.map_or(OFFICE.to_string(), |h| h.to_string());
                by_holder.push((r.holder, DashLine::new(r.holder_name.clone(), "", &value)));
                by_holder.len() - 1
            }
        };
        by_holder[i].1.add(r);
    }
    by_kind.push(total);
    let mut by_holder: Vec<DashLine> = by_holder.into_iter().map(|(_, l)| l).collect();
    by_holder.sort_by(|a, b| {
        (b.overdue, b.due_soon, b.open)
            .cmp(&(a.overdue, a.due_soon, a.open))
            .then_with(|| a.label.cmp(&b.label))
    });
    (by_kind, by_holder)
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListTpl {
    l: Layout,
    /// The credit office's dashboard (empty for a unit or provider).
    by_kind: Vec<DashLine>,
    /// A year of the working-day calendar the deadlines will soon need (the credit office's).
    missing: Option<String>,
    by_holder: Vec<DashLine>,
    /// A unit's or provider's open cases waiting for it.
    mine: Option<Vec<CaseRow>>,
    items: Vec<CaseRow>,
    kinds: Vec<Opt>,
    states: Vec<Opt>,
    dues: Vec<Opt>,
    holders: Vec<Opt>,
    /// Whether a filter is set (the list then says what it shows).
    filtered: bool,
    keep: String,
    next: Option<String>,
}

/// The holder picker: the credit office and the units given (id, name).
fn holder_options(units: &[(i64, String)], current: &str) -> Vec<Opt> {
    let mut pairs = vec![(OFFICE.to_string(), "信用办".to_string())];
    pairs.extend(
        units
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone())),
    );
    options(pairs, current, Some("全部承办单位"))
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    PageQuery(q): PageQuery<ListQuery>,
) -> PageResult {
    let filter = q.filter()?;
    let before = q.before()?;
    let admin = ctx.role() == AccountRole::Admin;
    let own = ctx.caller.unit();
    let app = state.app.clone();
    let who = ctx.caller.who();
    let picked = nonempty(&q.holder).and_then(|h| h.parse::<i64>().ok());
    let (mut views, (dashboard, missing), mine, units) = blocking(move || {
        let views = probity_app::cases::list(&app, &who, filter, before, PAGE_SIZE + 1)?;
        let dashboard = if admin {
            (
                probity_app::cases::dashboard(&app, &who)?,
                probity_app::calendar::missing_soon(&app)?,
            )
        } else {
            (Vec::new(), None)
        };
        // A unit or provider: the open cases it holds, before everything else.
        let mine = match (admin, own, before) {
            (false, Some(u), None) => Some(probity_app::cases::list(
                &app,
                &who,
                CaseFilter {
                    open: Some(true),
                    assignee: Some(Some(u)),
                    ..CaseFilter::default()
                },
                None,
                PAGE_SIZE,
            )?),
            _ => None,
        };
        // The holder picker: the credit office, and the units holding open cases (from the
        // dashboard's own counts), with the one picked; for a unit or provider, itself. Never
        // the whole roster, which a district of thousands of units would put in every page.
        let mut units: Vec<(i64, String)> = match (admin, own) {
            (true, _) => dashboard
                .0
                .iter()
                .filter_map(|r| r.holder.map(|h| (h, r.holder_name.clone())))
                .collect(),
            (false, Some(u)) => vec![(u, "本单位".to_string())],
            (false, None) => Vec::new(),
        };
        if let Some(picked) = picked.filter(|p| !units.iter().any(|(id, _)| id == p))
            && let Ok(s) = probity_app::roster::get(&app, &who, picked)
        {
            units.push((picked, s.short_name.unwrap_or(s.name)));
        }
        units.sort_by(|a, b| a.1.cmp(&b.1));
        units.dedup();
        Ok((views, dashboard, mine, units))
    })
    .await?;
    let more = views.len() > PAGE_SIZE as usize;
    views.truncate(PAGE_SIZE as usize);
    let keep = q.keep();
    let next = views.last().filter(|_| more).map(|v| {
        let mut n = format!("/console/cases?before={}", v.case.id);
        if !keep.is_empty() {
            n.push('&');
            n.push_str(&keep);
        }
        n
    });
    let (by_kind, by_holder) = if admin {
        dashboard_lines(&dashboard)
    } else {
        (Vec::new(), Vec::new())
    };
    let v = |o: &Option<String>| nonempty(o).unwrap_or_default();
    let title = if admin {
        "案件办理"
    } else {
        "本单位案件"
    };
    Ok(ctx.page(&ListTpl {
        l: ctx.layout(title),
        missing,
        by_kind,
        by_holder,
        mine: mine.map(|m| m.iter().map(CaseRow::new).collect()),
        items: views.iter().map(CaseRow::new).collect(),
        kinds: options(
            CaseKind::ALL
                .iter()
                .map(|k| (k.code().to_string(), k.label().to_string())),
            &v(&q.kind),
            Some("全部类型"),
        ),
        states: options(
            [("open", "未办结"), ("closed", "已办结")]
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string())),
            &v(&q.state),
            Some("全部"),
        ),
        dues: options(
            [("due_soon", "即将到期"), ("overdue", "已逾期")]
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string())),
            &v(&q.due),
            Some("不限"),
        ),
        holders: holder_options(&units, &v(&q.holder)),
        filtered: !keep.is_empty(),
        keep: if keep.is_empty() {
            String::new()
        } else {
            format!("?{keep}")
        },
        next,
    }))
}

/// The filtered list as an Excel workbook.
async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    PageQuery(q): PageQuery<ListQuery>,
) -> PageResult {
    let filter = q.filter()?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let (bytes, _) = blocking(move || Ok(probity_app::cases::export(&app, &who, filter)?)).await?;
    Ok(xlsx_download(bytes, "cases.xlsx", "案件.xlsx"))
}

// ---------------------------------------------------------------------------------------------
// One case

/// A downloadable attachment.
pub struct FileLink {
    pub href: String,
    pub name: String,
    pub size: String,
}

/// One step of a case's history.
pub struct EventRow {
    pub at: String,
    pub who: String,
    pub party: &'static str,
    pub step: String,
    pub text: String,
    pub files: Vec<FileLink>,
}

/// The form of one step the caller may take.
pub struct ActionForm {
    pub code: &'static str,
    pub label: &'static str,
    /// The text is required; otherwise optional.
    pub needs_text: bool,
    pub text_label: &'static str,
    /// What was typed before a refusal.
    pub text: String,
    /// A unit to name (转办; 征求意见 optional).
    pub unit: Option<UnitField>,
    /// The finding of an answer or a close.
    pub findings: Vec<Opt>,
    /// 从轻或免于惩戒, for an approved repair of a civil servant's record.
    pub leniency: Vec<Opt>,
    pub files: bool,
    pub danger: bool,
    pub hint: &'static str,
}

pub struct UnitField {
    pub label: &'static str,
    pub required: bool,
    pub value: String,
    pub hint: &'static str,
}

/// The case as its page shows it.
pub struct CaseHead {
    pub id: i64,
    pub kind: &'static str,
    pub title: String,
    pub state: String,
    pub closed: bool,
    pub applicant: String,
    pub subject: String,
    pub holder: String,
    pub deadline: String,
    pub due: String,
    pub due_class: &'static str,
    pub text: String,
    pub tracking_no: String,
    pub channel: String,
    pub rating: String,
    /// The complainant's contact (the credit office only), or 匿名.
    pub contact: Option<String>,
    /// What the case's detail says: the repair declarations, leniency, a draft record raised.
    pub notes: Vec<String>,
    /// The draft record a founded complaint raised.
    pub draft: Option<i64>,
}

/// The record a case is about.
pub struct RecordLine {
    pub id: i64,
    pub label: String,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "case.html")]
struct DetailTpl {
    l: Layout,
    c: CaseHead,
    record: Option<RecordLine>,
    events: Vec<EventRow>,
    forms: Vec<ActionForm>,
    /// The roster's units, for the unit pickers.
    units: Vec<Opt>,
    error: Option<String>,
    accept: String,
    files_hint: String,
}

/// What a refused step left on its form.
#[derive(Default)]
struct Typed {
    action: String,
    text: String,
    unit: String,
    finding: String,
    leniency: String,
}

fn head(d: &CaseDetail) -> CaseHead {
    let c = &d.view.case;
    let detail = &c.detail;
    let mut notes = Vec::new();
    if c.kind == CaseKind::Repair {
        let yes = |k: &str| detail.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
        notes.push(format!(
            "信用承诺书：{}；履行决定所确定的义务：{}",
            if yes("commitment_signed") {
                "已签署"
            } else {
                "未签署"
            },
            if yes("obligations_fulfilled") {
                "已履行"
            } else {
                "未声明"
            }
        ));
    }
    if let Some(l) = detail
        .get("leniency")
        .and_then(|v| v.as_str())
        .and_then(Leniency::parse)
    {
        notes.push(format!("决定：{}", l.label()));
    }
    if detail.get("anonymous").and_then(|v| v.as_bool()) == Some(true) {
        notes.push("匿名投诉：只能通过受理编号和查询码告知办理结果".into());
    }
    if c.kind == CaseKind::Dispute
        && let Ok(x) =
            serde_json::from_value::<probity_domain::case::dispute::DisputeDetail>(detail.clone())
        && let Ok(period) = x.period()
    {
        notes.push(format!(
            "{}考核结果于 {} 公布，异议期至 {}；有异议的指标：{}",
            period.label(),
            x.published_on,
            x.last_day,
            x.indicators.join("、")
        ));
    }
    CaseHead {
        id: c.id,
        kind: d.view.kind_label,
        title: c.title.clone(),
        state: d.view.state_label.clone(),
        closed: c.state.is_closed(),
        applicant: d.view.applicant.clone(),
        subject: d.view.subject.clone(),
        holder: d.view.holder.clone(),
        deadline: date_text(c.deadline),
        due: d.view.due_label.clone(),
        due_class: due_class(d.view.due),
        text: c.text.clone(),
        tracking_no: c.tracking_no.clone().unwrap_or_default(),
        channel: c
            .channel
            .as_deref()
            .and_then(|ch| Channel::parse(ch).ok())
            .map(|ch| ch.label().to_string())
            .unwrap_or_default(),
        rating: c.rating.map(|r| format!("{r} 星")).unwrap_or_default(),
        // The use case gives it to the credit office only.
        contact: d.contact.clone(),
        notes,
        draft: detail.get("record_draft").and_then(|v| v.as_i64()),
    }
}

fn text_label(a: CaseAction) -> &'static str {
    match a {
        CaseAction::Comment => "留言内容",
        CaseAction::Withdraw => "撤回理由",
        CaseAction::Uphold => "核查结果（记录将被撤销）",
        CaseAction::Dismiss => "不予支持的理由",
        CaseAction::Consult => "征求意见的事项",
        CaseAction::Reply => "决定机关的意见",
        CaseAction::Reject => "不予修复的理由",
        CaseAction::File => "书面说明和整改情况",
        CaseAction::Return => "退回理由",
        CaseAction::Answer(_) => "答复内容",
        CaseAction::Maintain => "维持原结果的理由",
        CaseAction::Correct => "更正的理由（考核期将重新开启）",
        _ => "说明（可选）",
    }
}

fn forms(d: &CaseDetail, civil_servant: bool, typed: &Typed) -> Vec<ActionForm> {
    // The finding typed before a refusal, else the one the answer gave (what a close confirms).
    let finding_now = if typed.finding.is_empty() {
        d.view.case.finding.clone().unwrap_or_default()
    } else {
        typed.finding.clone()
    };
    d.actions
        .iter()
        .copied()
        .map(|a| {
            let mine = typed.action == a.code();
            let unit = match a {
                CaseAction::Route => Some(UnitField {
                    label: "承办单位",
                    required: true,
                    value: if mine {
                        typed.unit.clone()
                    } else {
                        String::new()
                    },
                    hint: "负责调查答复的单位：输入简称或全称，从名录中选择",
                }),
                CaseAction::Consult => Some(UnitField {
                    label: "决定机关",
                    required: false,
                    value: if mine {
                        typed.unit.clone()
                    } else {
                        String::new()
                    },
                    hint: "不填则征求报送该记录的单位",
                }),
                _ => None,
            };
            let findings = match a {
                CaseAction::Answer(_) | CaseAction::Close(_) => options(
                    Finding::ALL
                        .iter()
                        .map(|f| (f.code().to_string(), f.label().to_string())),
                    &finding_now,
                    Some("请选择"),
                ),
                _ => Vec::new(),
            };
            let leniency = if a == CaseAction::Approve && civil_servant {
                options(
                    [Leniency::Lighter, Leniency::Exempt]
                        .iter()
                        .map(|l| (l.code().to_string(), l.label().to_string())),
                    if mine { &typed.leniency } else { "" },
                    Some("不适用"),
                )
            } else {
                Vec::new()
            };
            ActionForm {
                code: a.code(),
                label: a.label(),
                needs_text: a.needs_text(),
                text_label: text_label(a),
                text: if mine {
                    typed.text.clone()
                } else {
                    String::new()
                },
                unit,
                findings,
                leniency,
                files: !matches!(a, CaseAction::Route | CaseAction::Close(_)),
                danger: matches!(
                    a,
                    CaseAction::Withdraw
                        | CaseAction::Reject
                        | CaseAction::Return
                        | CaseAction::Dismiss
                ),
                hint: match a {
                    CaseAction::Uphold => "异议成立：记录将被撤销，并通知申请单位",
                    CaseAction::Dismiss => "异议不成立：记录恢复公示，理由告知申请单位",
                    CaseAction::Approve => "准予修复：记录停止公示和共享，保留在档案中",
                    CaseAction::Close(_) => {
                        "按答复的调查结论办结；属实或部分属实的，生成一条待审核的失信记录草稿"
                    }
                    CaseAction::Route => "转交负责调查答复的单位，答复期限重新起算",
                    CaseAction::Maintain => "维持原考核结果，理由告知申请单位",
                    CaseAction::Correct => {
                        "予以更正：重新开启该考核期，修改评分后再次归档，理由告知申请单位"
                    }
                    _ => "",
                },
            }
        })
        .collect()
}

fn size_text(n: i64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (n + 1023) / 1024)
    }
}

/// Loads and renders a case; `typed` and `error` after a refused step.
async fn render_case(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    typed: Typed,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let app = state.app.clone();
    let who = ctx.caller.who();
    let (d, civil_servant, units) = blocking(move || {
        let d = probity_app::cases::detail(&app, &who, id)?;
        // A person opened the case: its notifications are read.
        probity_app::cases::mark_case_read(&app, &who, id)?;
        let approving = d.actions.contains(&CaseAction::Approve);
        let civil_servant = match (&d.record, approving) {
            (Some(r), true) => {
                probity_app::roster::get(&app, &who, r.subject_id)?.kind
                    == SubjectKind::CivilServant
            }
            _ => false,
        };
        let pick = d
            .actions
            .iter()
            .any(|a| matches!(a, CaseAction::Route | CaseAction::Consult));
        let units = if pick {
            probity_app::roster::units(&app)?
        } else {
            Vec::new()
        };
        Ok((d, civil_servant, units))
    })
    .await?;
    let files: HashMap<i64, Vec<FileLink>> =
        d.attachments.iter().fold(HashMap::new(), |mut m, a| {
            m.entry(a.event_id).or_default().push(FileLink {
                href: format!("/console/cases/{id}/attachments/{}", a.id),
                name: a.file_name.clone(),
                size: size_text(a.size),
            });
            m
        });
    let mut files = files;
    let events = d
        .events
        .iter()
        .map(|e| EventRow {
            at: probity_app::cases::time_text(&e.at),
            who: who_label(&e.actor),
            party: Party::ALL
                .iter()
                .find(|p| p.code() == e.party)
                .map_or("", |p| p.label()),
            step: probity_app::cases::step_label(&e.action),
            text: e.text.clone().unwrap_or_default(),
            files: files.remove(&e.id).unwrap_or_default(),
        })
        .collect();
    let record = d.record.as_ref().map(|r| RecordLine {
        id: r.id,
        label: format!("{}（{}）", r.subject_name, r.document_no),
        state: r.state.label(),
    });
    let t = DetailTpl {
        l: ctx.layout(&format!(
            "{} #{id}：{}",
            d.view.kind_label,
            truncate(&d.view.case.title, 40)
        )),
        c: head(&d),
        record,
        events,
        forms: forms(&d, civil_servant, &typed),
        units: unit_options(units),
        error,
        accept: accept(),
        files_hint: files_hint(),
    };
    let mut res = ctx.page(&t);
    *res.status_mut() = status;
    Ok(res)
}

/// The `<datalist>` of the roster's units: the full name, with the short name and USCC shown.
fn unit_options(units: Vec<probity_store::Subject>) -> Vec<Opt> {
    units
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
        .collect()
}

async fn detail(State(state): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    render_case(&state, &ctx, id, Typed::default(), None, StatusCode::OK).await
}

/// The limit of a step's files in all.
type StepUpload = PageUpload<FILES_LIMIT>;

async fn step(State(state): State<AppState>, Path(id): Path<String>, up: StepUpload) -> PageResult {
    let id = parse_id(&id)?;
    let PageUpload { ctx, fields, files } = up;
    let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let typed = Typed {
        action: field("action").trim().to_string(),
        text: field("text"),
        unit: field("unit").trim().to_string(),
        finding: field("finding").trim().to_string(),
        leniency: field("leniency").trim().to_string(),
    };
    let finding = Finding::parse(&typed.finding);
    let action = match CaseAction::parse(&typed.action, finding, None) {
        Some(a) => a,
        None => {
            let message = if matches!(typed.action.as_str(), "answer" | "close") {
                "请选择调查结论（属实、部分属实或不属实）"
            } else {
                "请从页面上的按钮选择要办理的操作"
            };
            return render_case(
                &state,
                &ctx,
                id,
                typed,
                Some(message.into()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let req = StepRequest {
        action,
        text: typed.text.clone(),
        unit: Some(typed.unit.clone()).filter(|u| !u.is_empty()),
        leniency: Some(typed.leniency.clone()).filter(|l| !l.is_empty()),
        files: uploads(files),
    };
    let n_files = req.files.len();
    let app = state.app.clone();
    let who = ctx.caller.who();
    let outcome = blocking(
        move || match probity_app::cases::step(&app, &who, id, req) {
            Ok(c) => Ok(Ok(c)),
            Err(e) => refusal(e).map(Err).map_err(|p| p.0),
        },
    )
    .await?;
    match outcome {
        Ok(c) => {
            let mut message = format!("已{}", action.label());
            if n_files > 0 {
                message.push_str(&format!("（附件 {n_files} 个）"));
            }
            message.push_str(&format!("，案件状态：{}", c.state.label()));
            Ok(done(&format!("/console/cases/{id}"), &message))
        }
        Err(message) => {
            let message = if n_files > 0 {
                format!("{message}（未办理；附件需重新选择）")
            } else {
                format!("{message}（未办理）")
            };
            render_case(
                &state,
                &ctx,
                id,
                typed,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// An attachment of a case, to save (never shown inline).
async fn attachment_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, file)): Path<(String, String)>,
) -> PageResult {
    let id = parse_id(&id)?;
    let file = parse_id(&file)?;
    let app = state.app.clone();
    let who = ctx.caller.who();
    let (meta, bytes) =
        blocking(move || Ok(probity_app::cases::attachment(&app, &who, id, file)?)).await?;
    let ty = AttachmentType::parse(&meta.kind);
    let ext = ty.map_or("bin", |t| t.extensions()[0]);
    Ok(download(
        bytes,
        ty.map_or("application/octet-stream", AttachmentType::mime),
        &format!("attachment-{}.{ext}", meta.id),
        &meta.file_name,
    ))
}

// ---------------------------------------------------------------------------------------------
// Objection and repair, from a unit's own record

/// The record a unit objects to or asks to repair, as the form shows it.
pub struct RecordSummary {
    pub id: i64,
    pub subject_name: String,
    pub category: String,
    pub kind: &'static str,
    pub severity: &'static str,
    pub document_no: String,
    pub decided_on: String,
    pub authority: String,
    pub state: &'static str,
    pub disclosure_until: String,
}

fn summary(r: &StoredRecord, catalog: &probity_domain::catalog::Catalog) -> RecordSummary {
    RecordSummary {
        id: r.id,
        subject_name: r.subject_name.clone(),
        category: catalog
            .get(&r.category)
            .map_or_else(|| r.category.clone(), |c| c.name.clone()),
        kind: r.kind.label(),
        severity: r.severity.map_or("—", |s| s.label()),
        document_no: r.document_no.clone(),
        decided_on: r.decided_on.to_string(),
        authority: r.authority.clone(),
        state: r.state.label(),
        disclosure_until: r.disclosure_until.to_string(),
    }
}

#[derive(Template)]
#[template(path = "case_object.html")]
struct ObjectTpl {
    l: Layout,
    r: RecordSummary,
    /// Why the record may not be objected to now (the form is not shown then).
    refused: Option<String>,
    days: u32,
    reasons: String,
    error: Option<String>,
    accept: String,
    files_hint: String,
}

async fn render_object(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    reasons: String,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let app = state.app.clone();
    let who = ctx.caller.who();
    let ((r, catalog, _), d) = blocking(move || {
        Ok((
            probity_app::records::detail(&app, &who, id)?,
            probity_app::cases::deadlines(&app)?,
        ))
    })
    .await?;
    let days = d.objection_days;
    let t = ObjectTpl {
        l: ctx.layout(&format!("对记录 #{id} 提出异议")),
        refused: objection::may_object(r.state).err().map(|e| e.message),
        r: summary(&r, &catalog),
        days,
        reasons,
        error,
        accept: accept(),
        files_hint: files_hint(),
    };
    let mut res = ctx.page(&t);
    *res.status_mut() = status;
    Ok(res)
}

async fn object_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id = parse_id(&id)?;
    render_object(&state, &ctx, id, String::new(), None, StatusCode::OK).await
}

async fn object(
    State(state): State<AppState>,
    Path(id): Path<String>,
    up: StepUpload,
) -> PageResult {
    let id = parse_id(&id)?;
    let PageUpload { ctx, fields, files } = up;
    let reasons = fields.get("reasons").cloned().unwrap_or_default();
    let app = state.app.clone();
    let who = ctx.caller.who();
    let r2 = reasons.clone();
    let files = uploads(files);
    let outcome = blocking(
        move || match probity_app::cases::object(&app, &who, id, &r2, files) {
            Ok(c) => Ok(Ok(c)),
            Err(e) => refusal(e).map(Err).map_err(|p| p.0),
        },
    )
    .await?;
    match outcome {
        Ok(c) => Ok(done(
            &format!("/console/cases/{}", c.id),
            &format!(
                "已提出异议（案件 #{}）：记录显示为“异议处理中”，报送单位须于 {} 前答复",
                c.id,
                date_text(c.deadline)
            ),
        )),
        Err(message) => {
            render_object(
                &state,
                &ctx,
                id,
                reasons,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// The conditions of repair for one record, from its category and the thresholds.
pub struct Conditions {
    pub repairable: bool,
    pub category: String,
    pub severity: &'static str,
    /// The minimum disclosure period, in words.
    pub period: String,
    pub earliest: String,
    /// Met today, or why not (the form is not shown then).
    pub refused: Option<String>,
    pub decision_days: u32,
    pub consult_days: u32,
}

fn conditions(
    r: &StoredRecord,
    catalog: &probity_domain::catalog::Catalog,
    d: &probity_domain::case::Deadlines,
    today: NaiveDate,
) -> Conditions {
    let category = catalog.get(&r.category);
    let severity = r
        .severity
        .or_else(|| category.and_then(|c| c.default_severity));
    let months = d.repair_min_months(severity);
    let refused = match category {
        None => Some(format!("记录类别 {} 已不在目录中", r.category)),
        Some(c) => repair::eligibility(c, r.severity, r.decided_on, today, d)
            .and_then(|()| repair::may_repair(r.state))
            .err()
            .map(|e| e.message),
    };
    Conditions {
        repairable: category.is_some_and(|c| c.repairable && c.kind == RecordKind::Dishonest),
        category: category.map_or_else(|| r.category.clone(), |c| c.name.clone()),
        severity: severity.map_or("—", |s| s.label()),
        period: months_text(months),
        earliest: probity_domain::date::add_months(r.decided_on, months).to_string(),
        refused,
        decision_days: d.repair_decision_days,
        consult_days: d.repair_consult_days,
    }
}

/// A minimum period in words: none, months, or years.
pub fn months_text(months: u32) -> String {
    match months {
        0 => "无（履行义务后即可申请）".to_string(),
        m if m.is_multiple_of(12) => format!("{} 年", m / 12),
        m => format!("{m} 个月"),
    }
}

#[derive(Template)]
#[template(path = "case_repair.html")]
struct RepairTpl {
    l: Layout,
    r: RecordSummary,
    c: Conditions,
    commitment_signed: bool,
    obligations_fulfilled: bool,
    statement: String,
    errors: HashMap<&'static str, String>,
    error: Option<String>,
    accept: String,
    files_hint: String,
}

async fn render_repair(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    form: RepairApplication,
    errors: HashMap<&'static str, String>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let app = state.app.clone();
    let who = ctx.caller.who();
    let ((r, catalog, _), d) = blocking(move || {
        Ok((
            probity_app::records::detail(&app, &who, id)?,
            probity_app::cases::deadlines(&app)?,
        ))
    })
    .await?;
    let t = RepairTpl {
        l: ctx.layout(&format!("申请信用修复：记录 #{id}")),
        c: conditions(&r, &catalog, &d, state.app.today()),
        r: summary(&r, &catalog),
        commitment_signed: form.commitment_signed,
        obligations_fulfilled: form.obligations_fulfilled,
        statement: form.statement,
        errors,
        error,
        accept: accept(),
        files_hint: files_hint(),
    };
    let mut res = ctx.page(&t);
    *res.status_mut() = status;
    Ok(res)
}

async fn repair_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> PageResult {
    let id = parse_id(&id)?;
    render_repair(
        &state,
        &ctx,
        id,
        RepairApplication::default(),
        HashMap::new(),
        None,
        StatusCode::OK,
    )
    .await
}

/// What a refused application comes to: its faults by field, or one refusal above the form.
enum Refused {
    Fields(HashMap<&'static str, String>),
    General(String),
}

async fn repair(
    State(state): State<AppState>,
    Path(id): Path<String>,
    up: StepUpload,
) -> PageResult {
    let id = parse_id(&id)?;
    let PageUpload { ctx, fields, files } = up;
    let ticked = |k: &str| fields.get(k).is_some_and(|v| !v.is_empty());
    let form = RepairApplication {
        commitment_signed: ticked("commitment_signed"),
        obligations_fulfilled: ticked("obligations_fulfilled"),
        statement: fields.get("statement").cloned().unwrap_or_default(),
    };
    let app = state.app.clone();
    let who = ctx.caller.who();
    let application = form.clone();
    let files = uploads(files);
    let outcome = blocking(move || {
        match probity_app::cases::apply_repair(&app, &who, id, &application, files) {
            Ok(c) => Ok(Ok(c)),
            Err(AppError::Fields(errs)) => Ok(Err(Refused::Fields(field_map(errs, "statement")))),
            Err(e) => refusal(e)
                .map(|m| Err(Refused::General(m)))
                .map_err(|p| p.0),
        }
    })
    .await?;
    match outcome {
        Ok(c) => Ok(done(
            &format!("/console/cases/{}", c.id),
            &format!(
                "已提交信用修复申请（案件 #{}），信用办将于 {} 前作出决定",
                c.id,
                date_text(c.deadline)
            ),
        )),
        Err(refused) => {
            let (errors, error) = match refused {
                Refused::Fields(m) => {
                    let n = m.len();
                    (
                        m,
                        Some(format!("有 {n} 项需要修改，请按提示更正后重新提交")),
                    )
                }
                Refused::General(m) => (HashMap::new(), Some(m)),
            };
            render_repair(
                &state,
                &ctx,
                id,
                form,
                errors,
                error,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A complaint entered by the credit office

#[derive(Debug, Default, Deserialize)]
struct ComplaintForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    record_id: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    contact: String,
}

#[derive(Template)]
#[template(path = "complaint_entry.html")]
struct EntryTpl {
    l: Layout,
    f: ComplaintForm,
    channels: Vec<Opt>,
    units: Vec<Opt>,
    errors: HashMap<&'static str, String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "complaint_entered.html")]
struct EnteredTpl {
    l: Layout,
    id: i64,
    tracking_no: String,
    code: String,
    deadline: String,
}

/// The channels staff enter a complaint from (the portal files its own).
const STAFF_CHANNELS: [Channel; 3] = [Channel::Hotline, Channel::Letter, Channel::NewMedia];

async fn render_entry(
    state: &AppState,
    ctx: &Ctx,
    f: ComplaintForm,
    errors: HashMap<&'static str, String>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let app = state.app.clone();
    let units = blocking(move || Ok(probity_app::roster::units(&app)?)).await?;
    let channel = if f.channel.is_empty() {
        Channel::Hotline.code().to_string()
    } else {
        f.channel.clone()
    };
    let t = EntryTpl {
        l: ctx.layout("投诉登记（热线、来信、新媒体）"),
        channels: options(
            STAFF_CHANNELS
                .iter()
                .map(|c| (c.code().to_string(), c.label().to_string())),
            &channel,
            None,
        ),
        units: unit_options(units),
        f,
        errors,
        error,
    };
    let mut res = ctx.page(&t);
    *res.status_mut() = status;
    Ok(res)
}

async fn complaint_form(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    render_entry(
        &state,
        &ctx,
        ComplaintForm::default(),
        HashMap::new(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn complaint(State(state): State<AppState>, p: PageForm<ComplaintForm>) -> PageResult {
    let PageForm { ctx, form } = p;
    let blank = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let mut errors = HashMap::new();
    let record_id = match blank(&form.record_id) {
        None => None,
        Some(r) => match r.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                errors.insert(
                    "record_id",
                    "记录编号应为数字（记录页标题中的 # 号后面）".into(),
                );
                None
            }
        },
    };
    let input = ComplaintInput {
        subject: form.subject.clone(),
        record_id,
        content: form.content.clone(),
        channel: form.channel.clone(),
        contact: blank(&form.contact),
        name: blank(&form.name),
    };
    // Every fault of the form at once: the record number's with the content's.
    if let Err(errs) = input.validate() {
        errors.extend(field_map(errs, "content"));
    }
    if !errors.is_empty() {
        let n = errors.len();
        return render_entry(
            &state,
            &ctx,
            form,
            errors,
            Some(format!("有 {n} 项需要修改，请按提示更正后重新提交")),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let app = state.app.clone();
    let who = ctx.caller.who();
    let outcome =
        blocking(
            move || match probity_app::cases::file_complaint(&app, Some(&who), &input) {
                Ok(f) => Ok(Ok(f)),
                Err(AppError::Fields(errs)) => Ok(Err(Refused::Fields(field_map(errs, "subject")))),
                Err(e) => refusal(e)
                    .map(|m| Err(Refused::General(m)))
                    .map_err(|p| p.0),
            },
        )
        .await?;
    match outcome {
        // Shown once, on this answer: the query code is kept only as a hash.
        Ok(f) => Ok(ctx.page(&EnteredTpl {
            l: ctx.layout("投诉已登记"),
            id: f.case.id,
            deadline: date_text(f.case.deadline),
            tracking_no: f.tracking_no,
            code: f.code,
        })),
        Err(refused) => {
            let (errors, error) = match refused {
                Refused::Fields(m) => {
                    let n = m.len();
                    (
                        m,
                        Some(format!("有 {n} 项需要修改，请按提示更正后重新提交")),
                    )
                }
                Refused::General(m) => (HashMap::new(), Some(m)),
            };
            render_entry(
                &state,
                &ctx,
                form,
                errors,
                error,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Notifications

/// The most notifications the page lists.
const NOTIFICATIONS_SHOWN: u32 = 200;

pub struct NoteRow {
    pub id: i64,
    pub at: String,
    pub message: String,
    pub case_id: Option<i64>,
    pub read: bool,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotesTpl {
    l: Layout,
    items: Vec<NoteRow>,
    unread_only: bool,
    unread: usize,
}

#[derive(Debug, Default, Deserialize)]
struct NotesQuery {
    /// Any value: unread ones only.
    unread: Option<String>,
}

async fn notifications(
    State(state): State<AppState>,
    ctx: Ctx,
    PageQuery(q): PageQuery<NotesQuery>,
) -> PageResult {
    let app = state.app.clone();
    let who = ctx.caller.who();
    let all = blocking(move || {
        Ok(probity_app::cases::notifications(
            &app,
            &who,
            NOTIFICATIONS_SHOWN,
        )?)
    })
    .await?;
    let unread_only = nonempty(&q.unread).is_some();
    let unread = all.iter().filter(|n| !n.read).count();
    let items = all
        .into_iter()
        .filter(|n| !unread_only || !n.read)
        .map(|n| NoteRow {
            id: n.id,
            at: probity_app::cases::time_text(&n.created_at),
            message: n.message,
            case_id: n.case_id,
            read: n.read,
        })
        .collect();
    Ok(ctx.page(&NotesTpl {
        l: ctx.layout("通知"),
        items,
        unread_only,
        unread,
    }))
}

#[derive(Debug, Default, Deserialize)]
struct ReadForm {
    /// One notification; none: all of them.
    #[serde(default)]
    id: String,
}

async fn mark_read(State(state): State<AppState>, p: PageForm<ReadForm>) -> PageResult {
    let ids = match nonempty(&Some(p.form.id.clone())) {
        Some(id) => vec![parse_id(&id)?],
        None => Vec::new(),
    };
    let to = "/console/notifications";
    let app = state.app.clone();
    let who = p.ctx.caller.who();
    let all = ids.is_empty();
    let n = blocking(move || Ok(probity_app::cases::mark_read(&app, &who, &ids)?)).await?;
    let message = if all {
        format!("已将 {n} 条通知标为已读")
    } else {
        "已标为已读".to_string()
    };
    Ok(done(to, &message))
}

// ---------------------------------------------------------------------------------------------
// The case deadlines (案件期限设置)

/// One setting on the deadlines form.
pub struct DeadlineField {
    pub key: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    /// As shown: the saved value, or what the official typed.
    pub value: String,
    /// The rules' default, shown beside.
    pub default: u32,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "case_deadlines.html")]
struct DeadlinesTpl {
    l: Layout,
    fields: Vec<DeadlineField>,
    saved_at: String,
    error: Option<String>,
}

async fn deadlines_page(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    render_deadlines(&state, &ctx, None, HashMap::new(), None, StatusCode::OK).await
}

async fn render_deadlines(
    state: &AppState,
    ctx: &Ctx,
    typed: Option<HashMap<String, String>>,
    errors: HashMap<&'static str, String>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let app = state.app.clone();
    let (d, saved_at) = blocking(move || Ok(probity_app::cases::deadlines_saved(&app)?)).await?;
    let defaults = probity_domain::case::Deadlines::default().fields();
    let fields = d
        .fields()
        .into_iter()
        .zip(defaults)
        .map(|((key, name, unit, value), def)| DeadlineField {
            key,
            name,
            unit,
            value: typed
                .as_ref()
                .and_then(|t| t.get(key).cloned())
                .unwrap_or_else(|| value.to_string()),
            default: def.3,
            error: errors.get(key).cloned(),
        })
        .collect();
    let t = DeadlinesTpl {
        l: ctx.layout("案件期限设置"),
        fields,
        saved_at: saved_at
            .as_deref()
            .map(probity_app::cases::time_text)
            .map_or("尚未修改，使用规定的默认期限".into(), |t| {
                format!("信用办最近修改于 {t}")
            }),
        error,
    };
    let mut res = ctx.page(&t);
    *res.status_mut() = status;
    Ok(res)
}

async fn save_deadlines(
    State(state): State<AppState>,
    p: PageForm<HashMap<String, String>>,
) -> PageResult {
    let PageForm { ctx, form } = p;
    let mut d = probity_domain::case::Deadlines::default();
    let mut errors: HashMap<&'static str, String> = HashMap::new();
    for (key, name, unit, _) in probity_domain::case::Deadlines::default().fields() {
        let text = form.get(key).map(|s| s.trim()).unwrap_or("");
        let value = match text.parse::<u32>() {
            Ok(v) => v,
            Err(_) => {
                errors.insert(
                    key,
                    if text.is_empty() {
                        format!("请填写{name}")
                    } else {
                        format!("{name}应为整数（{unit}），现为“{}”", truncate(text, 20))
                    },
                );
                continue;
            }
        };
        if let Some(field) = d.field_mut(key) {
            *field = value;
        }
    }
    // The number problems and the rules' own problems, all at once.
    if let Err(problems) = d.validate() {
        for (k, v) in field_map(problems, "objection_days") {
            errors.entry(k).or_insert(v);
        }
    }
    if !errors.is_empty() {
        return render_deadlines(
            &state,
            &ctx,
            Some(form),
            errors,
            Some("期限设置有误，请按提示修改后再保存".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let app = state.app.clone();
    let who = ctx.caller.who();
    match blocking(move || Ok(probity_app::cases::set_deadlines(&app, &who, d))).await? {
        Ok(true) => Ok(done(
            "/console/cases/deadlines",
            "已保存案件期限设置；此后开启或办理的案件按新期限计算",
        )),
        Ok(false) => Ok(done("/console/cases/deadlines", "期限设置没有变化")),
        Err(AppError::Fields(errs)) => {
            render_deadlines(
                &state,
                &ctx,
                Some(form),
                field_map(errs, "objection_days"),
                Some("期限设置有误，请按提示修改后再保存".into()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
