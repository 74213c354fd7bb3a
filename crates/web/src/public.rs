//! The public side, without login: Chinese full-text search over units and disclosed records
//! (`GET /api/v1/public/search` and the pages `/` and `/search`). Everything shown comes from the
//! search index, which holds only what the disclosure policy lets the public see, already masked.
//! Public routes are rate-limited per client.

use std::sync::Arc;

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use probity_domain::catalog::{Catalog, Severity};
use probity_domain::subject::SubjectKind;
use probity_search::{Hit, Hits, SearchError, SearchQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{PeerAddr, client_key};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Params, blocking};

/// Hits per page.
const PER_PAGE: usize = 20;
/// The last page anyone may ask for.
const MAX_PAGE: usize = 50;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_api))
        .routes(routes!(profile_api))
        .routes(routes!(record_api))
        .routes(routes!(issue_report_api))
        .routes(routes!(verify_report_api))
}

pub fn pages_router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(home))
        .route("/search", get(search_page))
        .route("/subjects/{uscc}", get(profile_page))
        .route("/records/{id}", get(record_page))
        .route(
            "/records/{id}/correction",
            get(correction_form).post(correction_submit),
        )
        .route("/rules", get(rules_page))
        .route(
            "/subjects/{uscc}/report",
            axum::routing::post(issue_report_page),
        )
        .route("/reports/{no}", get(report_page))
        .route("/verify", get(verify_page))
        .route(
            "/complaints/new",
            get(complaint_form).post(complaint_submit),
        )
        .route(
            "/complaints/status",
            get(complaint_status_form).post(complaint_status_page),
        )
        .route("/complaints/rating", axum::routing::post(complaint_rating))
}

/// The query string of a search.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words, a unit's name, a USCC or a document number (at most 200 characters).
    pub q: Option<String>,
    /// Subject kind: district_government, functional_zone, department, township, civil_servant
    pub kind: Option<String>,
    /// Category code, e.g. PROCUREMENT_BREACH
    pub category: Option<String>,
    /// minor, ordinary or grave
    pub severity: Option<String>,
    /// Year of the decision
    pub year: Option<String>,
    /// 1 to 50, default 1
    pub page: Option<String>,
    /// Any value: list the disclosed records newest first when there are no words (浏览).
    pub browse: Option<String>,
}

impl SearchParams {
    /// No words but a filter or `browse`: the disclosed records of those filters, newest first.
    fn browsing(&self) -> bool {
        nonempty(&self.q).is_none()
            && [
                &self.browse,
                &self.kind,
                &self.category,
                &self.severity,
                &self.year,
            ]
            .iter()
            .any(|v| nonempty(v).is_some())
    }
}

/// One hit of a public search.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SearchItem {
    Subject {
        id: i64,
        name: String,
        kind: String,
        kind_label: String,
        uscc: Option<String>,
    },
    Record {
        id: i64,
        subject_name: String,
        uscc: Option<String>,
        category: String,
        category_name: String,
        /// dishonest or trustworthy
        kind: String,
        severity: Option<String>,
        document_no: String,
        authority: String,
        decided_on: String,
        disclosed_until: String,
        /// 异议处理中: an objection is being checked.
        objected: bool,
        /// The facts around the matched words: HTML-escaped text, matches in `<b>`.
        snippet_html: String,
    },
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub label: String,
    pub count: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    pub query: String,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub items: Vec<SearchItem>,
    /// Matching records per category.
    pub by_category: Vec<FacetCount>,
    /// Matching records per decision year.
    pub by_year: Vec<FacetCount>,
}

/// A checked search request.
struct Checked {
    query: SearchQuery,
    page: usize,
}

fn bad(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(code, message)
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn check(p: &SearchParams, catalog: &Catalog) -> Result<Checked, ApiError> {
    let text = nonempty(&p.q).unwrap_or_default();
    if text.is_empty() && !p.browsing() {
        return Err(bad(
            "QUERY_EMPTY",
            "请输入要搜索的单位名称、关键词、统一社会信用代码或文书号",
        ));
    }
    if text.chars().count() > probity_search::MAX_QUERY_CHARS {
        return Err(bad(
            "QUERY_TOO_LONG",
            format!("搜索词过长：最多 {} 个字", probity_search::MAX_QUERY_CHARS),
        ));
    }
    let kind = match nonempty(&p.kind) {
        None => None,
        Some(k) => Some(
            SubjectKind::ALL
                .iter()
                .find(|s| s.code() == k)
                .ok_or_else(|| bad("QUERY_INVALID", "主体类型无效"))?
                .code()
                .to_string(),
        ),
    };
    let category = match nonempty(&p.category) {
        None => None,
        Some(c) => Some(
            catalog
                .get(&c)
                .ok_or_else(|| bad("QUERY_INVALID", "记录类别无效"))?
                .code
                .clone(),
        ),
    };
    let severity = match nonempty(&p.severity) {
        None => None,
        Some(s) => Some(
            Severity::parse(&s)
                .map_err(|_| bad("QUERY_INVALID", "严重程度无效"))?
                .code()
                .to_string(),
        ),
    };
    let year = match nonempty(&p.year) {
        None => None,
        Some(y) => Some(
            y.parse::<i32>()
                .ok()
                .filter(|y| (1990..=2100).contains(y))
                .ok_or_else(|| bad("QUERY_INVALID", "年份无效"))?,
        ),
    };
    let page = match nonempty(&p.page) {
        None => 1,
        Some(n) => n
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| bad("QUERY_INVALID", format!("页码应在 1 到 {MAX_PAGE} 之间")))?,
    };
    Ok(Checked {
        query: SearchQuery {
            text,
            subject_kind: kind,
            category,
            severity,
            year,
            offset: (page - 1) * PER_PAGE,
            limit: PER_PAGE,
        },
        page,
    })
}

fn kind_label(code: &str) -> String {
    SubjectKind::ALL
        .iter()
        .find(|k| k.code() == code)
        .map(|k| k.label().to_string())
        .unwrap_or_else(|| code.to_string())
}

fn item(h: Hit) -> SearchItem {
    match h {
        Hit::Subject {
            id,
            name,
            kind,
            uscc,
            ..
        } => SearchItem::Subject {
            id,
            name,
            kind_label: kind_label(&kind),
            kind,
            uscc,
        },
        Hit::Record {
            id,
            subject_name,
            uscc,
            category,
            category_name,
            kind,
            severity,
            document_no,
            authority,
            decided_on,
            disclosed_until,
            objected,
            snippet_html,
            ..
        } => SearchItem::Record {
            id,
            subject_name,
            uscc,
            category,
            category_name,
            kind,
            severity,
            document_no,
            authority,
            decided_on,
            disclosed_until,
            objected,
            snippet_html,
        },
    }
}

fn page_of(text: String, page: usize, hits: Hits, catalog: &Catalog) -> SearchPage {
    SearchPage {
        query: text,
        total: hits.total,
        page,
        per_page: PER_PAGE,
        items: hits.hits.into_iter().map(item).collect(),
        by_category: hits
            .by_category
            .into_iter()
            .map(|(code, count)| FacetCount {
                label: catalog
                    .get(&code)
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| code.clone()),
                value: code,
                count,
            })
            .collect(),
        by_year: hits
            .by_year
            .into_iter()
            .rev()
            .map(|(y, count)| FacetCount {
                value: y.to_string(),
                label: format!("{y}年"),
                count,
            })
            .collect(),
    }
}

/// Per-client brake on every public route, applied as one layer on both public routers: the
/// JSON routes answer 429 in JSON, the pages with a Chinese page.
pub async fn limited(
    State(state): State<AppState>,
    peer: PeerAddr,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let key = client_key(req.headers(), peer, &state.config.trusted_proxies);
    match state.public_limiter.check(&key) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            let e = ApiError::TooManyRequests {
                retry_after_secs: wait,
            };
            if req.uri().path().starts_with("/api/") {
                e.into_response()
            } else {
                public_page_error(e)
            }
        }
    }
}

/// How long the public routes trust the catalog they read: a change by the credit office shows
/// on the public side within this time.
const CATALOG_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// The catalog, read again from the store at most every `CATALOG_TTL`. Runs on a blocking thread.
fn catalog_of(state: &AppState) -> Result<Arc<Catalog>, ApiError> {
    if let Ok(c) = state.public_catalog.lock()
        && let Some((at, cat)) = c.as_ref()
        && at.elapsed() < CATALOG_TTL
    {
        return Ok(cat.clone());
    }
    let fresh = Arc::new(probity_app::catalog::current(&state.app)?);
    if let Ok(mut c) = state.public_catalog.lock() {
        *c = Some((std::time::Instant::now(), fresh.clone()));
    }
    Ok(fresh)
}

/// Runs a checked search against the index.
async fn run(state: &AppState, p: SearchParams) -> Result<SearchPage, ApiError> {
    let index = state.search.clone();
    let state = state.clone();
    blocking(move || {
        let catalog = catalog_of(&state)?;
        let c = check(&p, &catalog)?;
        let hits = index
            .search(&c.query, state.app.today())
            .map_err(|e| match e {
                SearchError::Query(m) => bad("QUERY_INVALID", m),
                other => ApiError::Internal(other.to_string()),
            })?;
        Ok(page_of(c.query.text.clone(), c.page, hits, &catalog))
    })
    .await
}

/// Searches units and disclosed records (no login). A USCC or a document number is found
/// exactly; words are matched by Chinese word segmentation, every word required.
#[utoipa::path(get, path = "/api/v1/public/search", tag = "public", params(SearchParams),
    responses((status = 200, body = SearchPage), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn search_api(
    State(state): State<AppState>,
    Params(p): Params<SearchParams>,
) -> Result<Json<SearchPage>, ApiError> {
    Ok(Json(run(&state, p).await?))
}

// ---------------------------------------------------------------------------------------------
// Pages

#[derive(Template)]
#[template(path = "public_home.html")]
struct HomeTpl {
    latest: Vec<SearchItem>,
    q: String,
}

#[derive(Template)]
#[template(path = "public_search.html")]
struct SearchTpl {
    q: String,
    error: Option<String>,
    result: Option<SearchPage>,
    kinds: Vec<(String, String, bool)>,
    severities: Vec<(String, String, bool)>,
    category: String,
    year: String,
    /// No words: the disclosed records of the filters, newest first.
    browsing: bool,
    /// The query string without `category` (or `year`), for that facet's links.
    base_no_category: String,
    base_no_year: String,
    prev: Option<String>,
    next: Option<String>,
}

fn render(t: &impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(s) => (status, Html(s)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
            crate::http::error_page(StatusCode::INTERNAL_SERVER_ERROR, "页面生成失败")
        }
    }
}

async fn home(State(state): State<AppState>) -> Response {
    let index = state.search.clone();
    let latest = blocking(move || {
        index
            .latest(10, state.app.today())
            .map_err(|e| ApiError::Internal(e.to_string()))
    })
    .await;
    match latest {
        Ok(l) => render(
            &HomeTpl {
                latest: l.into_iter().map(item).collect(),
                q: String::new(),
            },
            StatusCode::OK,
        ),
        Err(e) => crate::http::error_page(e.status(), &e.detail().message),
    }
}

async fn search_page(
    State(state): State<AppState>,
    crate::http::PageQuery(p): crate::http::PageQuery<SearchParams>,
) -> Response {
    let q = nonempty(&p.q).unwrap_or_default();
    let kind = nonempty(&p.kind).unwrap_or_default();
    let severity = nonempty(&p.severity).unwrap_or_default();
    let category = nonempty(&p.category).unwrap_or_default();
    let year = nonempty(&p.year).unwrap_or_default();
    let browsing = p.browsing();
    // Browsing keeps `browse=1` so that dropping its last filter still lists the records.
    let browse = if browsing { "1" } else { "" };
    let base = crate::http::query_string(&[
        ("q", &q),
        ("browse", browse),
        ("kind", &kind),
        ("category", &category),
        ("severity", &severity),
        ("year", &year),
    ]);
    let base_no_category = crate::http::query_string(&[
        ("q", &q),
        ("browse", browse),
        ("kind", &kind),
        ("severity", &severity),
        ("year", &year),
    ]);
    let base_no_year = crate::http::query_string(&[
        ("q", &q),
        ("browse", browse),
        ("kind", &kind),
        ("category", &category),
        ("severity", &severity),
    ]);
    let mut t = SearchTpl {
        base_no_category,
        base_no_year,
        browsing,
        q: q.clone(),
        error: None,
        result: None,
        kinds: SubjectKind::ALL
            .iter()
            .map(|k| {
                (
                    k.code().to_string(),
                    k.label().to_string(),
                    k.code() == kind,
                )
            })
            .collect(),
        severities: Severity::ALL
            .iter()
            .map(|s| {
                (
                    s.code().to_string(),
                    s.label().to_string(),
                    s.code() == severity,
                )
            })
            .collect(),
        category,
        year,
        prev: None,
        next: None,
    };
    if q.is_empty() && !browsing {
        return render(&t, StatusCode::OK);
    }
    match run(&state, p).await {
        Ok(page) => {
            let last = page.total.div_ceil(PER_PAGE).clamp(1, MAX_PAGE);
            t.prev = (page.page > 1).then(|| format!("/search?{base}&page={}", page.page - 1));
            t.next = (page.page < last).then(|| format!("/search?{base}&page={}", page.page + 1));
            t.result = Some(page);
            render(&t, StatusCode::OK)
        }
        Err(e) => {
            let status = e.status();
            t.error = Some(e.detail().message);
            render(&t, status)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Profiles and records

/// A disclosed record as the public reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicRecordView {
    pub id: i64,
    pub subject_name: String,
    pub uscc: Option<String>,
    /// A civil servant's unit and position.
    pub unit: Option<String>,
    pub position: Option<String>,
    pub category: String,
    pub category_name: String,
    /// dishonest or trustworthy
    pub kind: String,
    pub severity: Option<String>,
    pub document_no: String,
    pub authority: String,
    pub facts: String,
    pub basis: Option<String>,
    pub outcome: String,
    pub decided_on: String,
    pub disclosed_until: String,
    pub objected: bool,
    pub state_label: String,
}

impl From<&probity_app::public::PublicRecord> for PublicRecordView {
    fn from(p: &probity_app::public::PublicRecord) -> Self {
        let d = &p.shown;
        PublicRecordView {
            id: p.id,
            subject_name: d.subject_name.clone(),
            uscc: d.uscc.clone(),
            unit: d.unit.clone(),
            position: d.position.clone(),
            category: p.category.clone(),
            category_name: p.category_name.clone(),
            kind: p.kind.code().to_string(),
            severity: p.severity_label.map(str::to_string),
            document_no: d.document_no.clone(),
            authority: d.authority.clone(),
            facts: d.facts.clone(),
            basis: d.basis.clone(),
            outcome: d.outcome.clone(),
            decided_on: d.decided_on.format("%Y-%m-%d").to_string(),
            disclosed_until: d.disclosed_until.format("%Y-%m-%d").to_string(),
            objected: d.objected,
            state_label: if d.objected {
                "异议处理中".to_string()
            } else {
                "公示中".to_string()
            },
        }
    }
}

/// A unit's public credit profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileView {
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub uscc: String,
    /// Units whose records this one carries.
    pub predecessors: Vec<String>,
    pub dishonest: Vec<PublicRecordView>,
    pub trustworthy: Vec<PublicRecordView>,
    /// The joint sanctions in force today that rest on the records shown here.
    pub measures: Vec<PublicMeasureView>,
}

/// A joint sanction in force on the unit (联合惩戒措施), resting on records the profile shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicMeasureView {
    pub name: String,
    /// 惩戒 or 激励.
    pub kind_label: String,
    /// The rule that imposes it.
    pub rule: String,
    /// The decisions it bears on (荣誉评选 …), in Chinese.
    pub purposes: Vec<String>,
    pub basis: String,
    /// The department that applies it.
    pub department: String,
    /// The last day it applies (YYYY-MM-DD); absent for a one-off act.
    pub until: Option<String>,
    /// The records it rests on: their ids and categories, each shown on this profile.
    pub records: Vec<PublicMeasureRecord>,
}

/// A record a public measure rests on.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicMeasureRecord {
    pub id: i64,
    pub category_name: String,
}

fn public_error(e: probity_app::public::PublicError, what: &str) -> ApiError {
    use probity_app::public::PublicError;
    match e {
        PublicError::BadCode(m) => bad("USCC_INVALID", format!("统一社会信用代码有误：{m}")),
        PublicError::NotFound => {
            ApiError::NotFound(format!("未找到{what}，或其信息不在公示范围内"))
        }
        PublicError::Store(e) => e.into(),
    }
}

async fn load_profile(state: &AppState, uscc: String) -> Result<ProfileView, ApiError> {
    let app = state.app.clone();
    blocking(move || {
        let p = probity_app::public::profile_today(&app, &uscc)
            .map_err(|e| public_error(e, "该统一社会信用代码对应的单位"))?;
        let in_force = probity_app::public::measures_today(&app, &p)
            .map_err(|e| public_error(e, "该统一社会信用代码对应的单位"))?;
        let category_of = |id: i64| {
            p.dishonest
                .iter()
                .chain(&p.trustworthy)
                .find(|r| r.id == id)
                .map(|r| r.category_name.clone())
                .unwrap_or_default()
        };
        let measures = in_force
            .into_iter()
            .map(|m| PublicMeasureView {
                name: m.measure.name,
                kind_label: m.kind.label().to_string(),
                rule: m.rule_name,
                purposes: m.purposes.iter().map(|p| p.label().to_string()).collect(),
                basis: m.measure.basis,
                department: m.measure.department,
                until: m.measure.until.map(|d| d.to_string()),
                records: m
                    .records
                    .iter()
                    .map(|id| PublicMeasureRecord {
                        id: *id,
                        category_name: category_of(*id),
                    })
                    .collect(),
            })
            .collect();
        Ok(ProfileView {
            name: p.subject.name.clone(),
            kind: p.subject.kind.code().to_string(),
            kind_label: p.subject.kind.label().to_string(),
            uscc: p.subject.uscc.clone().unwrap_or_default(),
            predecessors: p.predecessors.iter().map(|s| s.name.clone()).collect(),
            dishonest: p.dishonest.iter().map(PublicRecordView::from).collect(),
            trustworthy: p.trustworthy.iter().map(PublicRecordView::from).collect(),
            measures,
        })
    })
    .await
}

async fn load_record(state: &AppState, id: String) -> Result<PublicRecordView, ApiError> {
    let id = crate::extract::parse_id(&id)?;
    let app = state.app.clone();
    blocking(move || {
        let (p, _) =
            probity_app::public::record_today(&app, id).map_err(|e| public_error(e, "该记录"))?;
        Ok(PublicRecordView::from(&p))
    })
    .await
}

/// A unit's public credit profile: its disclosed dishonest and trustworthy records (no login).
#[utoipa::path(get, path = "/api/v1/public/subjects/{uscc}", tag = "public",
    params(("uscc" = String, Path, description = "统一社会信用代码")),
    responses((status = 200, body = ProfileView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn profile_api(
    State(state): State<AppState>,
    Path(uscc): Path<String>,
) -> Result<Json<ProfileView>, ApiError> {
    Ok(Json(load_profile(&state, uscc).await?))
}

/// One disclosed record (no login); 404 when it is not, or no longer, disclosed.
#[utoipa::path(get, path = "/api/v1/public/records/{id}", tag = "public",
    params(("id" = i64, Path)),
    responses((status = 200, body = PublicRecordView), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn record_api(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PublicRecordView>, ApiError> {
    Ok(Json(load_record(&state, id).await?))
}

#[derive(Template)]
#[template(path = "public_profile.html")]
struct ProfileTpl {
    q: String,
    p: ProfileView,
}

#[derive(Template)]
#[template(path = "public_record.html")]
struct RecordTpl {
    q: String,
    r: PublicRecordView,
}

/// An error as a public page.
fn public_page_error(e: ApiError) -> Response {
    crate::http::public_error_page(e.status(), &e.detail().message)
}

async fn profile_page(State(state): State<AppState>, Path(uscc): Path<String>) -> Response {
    match load_profile(&state, uscc).await {
        Ok(p) => render(
            &ProfileTpl {
                q: String::new(),
                p,
            },
            StatusCode::OK,
        ),
        Err(e) => public_page_error(e),
    }
}

async fn record_page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match load_record(&state, id).await {
        Ok(r) => render(
            &RecordTpl {
                q: String::new(),
                r,
            },
            StatusCode::OK,
        ),
        Err(e) => public_page_error(e),
    }
}

/// One category's disclosure rules, for the rules page.
pub struct RuleRow {
    pub name: String,
    pub kind: &'static str,
    pub periods: String,
    pub repairable: &'static str,
    /// The working days a unit has to explain and rectify a dishonest record of it.
    pub rectification: String,
}

/// The rules of cases, from the catalog and the case engine's thresholds (working days).
pub struct CaseRules {
    pub objection_days: u32,
    /// Each severity and the disclosure it must have had before repair, in words.
    pub repair_periods: Vec<(&'static str, String)>,
    pub repair_decision_days: u32,
    pub repair_consult_days: u32,
    pub rectification_days: u32,
    pub rectification_review_days: u32,
    pub rectification_return_days: u32,
    pub complaint_route_days: u32,
    pub complaint_answer_days: u32,
    pub complaint_close_days: u32,
    pub due_soon_days: u32,
    /// The dishonest categories that may not be repaired.
    pub not_repairable: Vec<String>,
    /// The dishonest categories that may.
    pub repairable: Vec<String>,
}

#[derive(Template)]
#[template(path = "public_rules.html")]
struct RulesTpl {
    q: String,
    rows: Vec<RuleRow>,
    cases: CaseRules,
}

fn months(n: u32) -> String {
    if n.is_multiple_of(12) {
        format!("{} 年", n / 12)
    } else {
        format!("{n} 个月")
    }
}

/// A disclosure period as the rules page says it: 不公示, 可不公示，最长 3 个月, 公示 6 个月至 1 年.
fn period(b: probity_domain::catalog::DisclosureBounds) -> String {
    match (b.min_months, b.max_months) {
        (_, 0) => "不公示".to_string(),
        (0, max) => format!("可不公示，最长 {}", months(max)),
        (min, max) if min == max => format!("公示 {}", months(min)),
        (min, max) => format!("公示 {}至 {}", months(min), months(max)),
    }
}

/// The minimum disclosure before repair, as the rules page says it.
fn repair_period(m: u32) -> String {
    if m == 0 {
        "履行义务、纠正失信行为后即可申请".to_string()
    } else {
        format!("自决定日期起公示满 {}后可申请", months(m))
    }
}

async fn rules_page(State(state): State<AppState>) -> Response {
    use probity_domain::case::{CaseKind, rules};
    use probity_domain::catalog::RecordKind;
    let app = state.app.clone();
    let (catalog, d) = match blocking(move || {
        Ok((
            probity_app::catalog::current(&app)?,
            probity_app::cases::deadlines(&app)?,
        ))
    })
    .await
    {
        Ok(c) => c,
        Err(e) => return public_page_error(e),
    };
    let rectification_days = |c: &probity_domain::catalog::Category| {
        rules(CaseKind::Rectification)
            .opening(&d, Some(c))
            .deadline_days
            .unwrap_or(d.rectification_days)
    };
    let rows = catalog
        .categories()
        .iter()
        .map(|c| {
            let periods = match c.kind {
                RecordKind::Trustworthy => period(c.bounds(None)),
                RecordKind::Dishonest => Severity::ALL
                    .iter()
                    .map(|s| format!("{}：{}", s.label(), period(c.bounds(Some(*s)))))
                    .collect::<Vec<_>>()
                    .join("；"),
            };
            RuleRow {
                name: c.name.clone(),
                kind: c.kind.label(),
                periods,
                repairable: match (c.kind, c.repairable) {
                    (RecordKind::Trustworthy, _) => "不适用",
                    (_, true) => "可申请",
                    (_, false) => "不可申请",
                },
                rectification: match c.kind {
                    RecordKind::Trustworthy => "—".to_string(),
                    RecordKind::Dishonest => format!("{} 个工作日", rectification_days(c)),
                },
            }
        })
        .collect();
    let dishonest = || {
        catalog
            .categories()
            .iter()
            .filter(|c| c.kind == RecordKind::Dishonest)
    };
    let cases = CaseRules {
        objection_days: d.objection_days,
        repair_periods: Severity::ALL
            .iter()
            .map(|s| (s.label(), repair_period(d.repair_min_months(Some(*s)))))
            .collect(),
        repair_decision_days: d.repair_decision_days,
        repair_consult_days: d.repair_consult_days,
        rectification_days: d.rectification_days,
        rectification_review_days: d.rectification_review_days,
        rectification_return_days: d.rectification_return_days,
        complaint_route_days: d.complaint_route_days,
        complaint_answer_days: d.complaint_answer_days,
        complaint_close_days: d.complaint_close_days,
        due_soon_days: d.due_soon_days,
        not_repairable: dishonest()
            .filter(|c| !c.repairable)
            .map(|c| c.name.clone())
            .collect(),
        repairable: dishonest()
            .filter(|c| c.repairable)
            .map(|c| c.name.clone())
            .collect(),
    };
    render(
        &RulesTpl {
            q: String::new(),
            rows,
            cases,
        },
        StatusCode::OK,
    )
}

// ---------------------------------------------------------------------------------------------
// Complaints (投诉举报): the form, its challenge, the status page and the rating

/// The proof that a person, or at least a browser that spent a moment, sends the complaint form:
/// no third-party service, and a form that works with and without JavaScript.
///
/// The form page carries a challenge the server signed (HMAC-SM3 under a key drawn at start):
/// `issued.nonce.a.b.mac`, the time it was issued (Unix seconds), 128 random bits, the two
/// numbers of an arithmetic question, and the signature of the four. A posted form is accepted
/// when the challenge is this server's, at most [`CHALLENGE_TTL_SECS`] old and not used before
/// (the nonces of accepted complaints are remembered in memory for that long), and either
///
/// - `pow` holds a counter whose SM3 hash of `challenge:counter` starts with [`POW_BITS`] zero
///   bits: the page's small script finds it (about 2^16 hashes, well under a second on a
///   desktop, a second or two on a phone), fills it in and hides the question; or
/// - `answer` holds the sum of `a` and `b`: what a browser without JavaScript shows instead.
///
/// This slows down blind form posting; the wall is the per-client limit of complaints an hour
/// (`AppState::complaint_limiter`) that the form shares with the API. The key and the used
/// nonces live in the process: behind a load balancer, the form must come back to the node that
/// served it (sticky sessions), or a challenge is refused once and a fresh one given.
mod challenge {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    use probity_store::crypto::sm3;

    /// Leading zero bits the proof-of-work asks for.
    pub const POW_BITS: u32 = 16;
    /// How long a challenge may be answered.
    pub const CHALLENGE_TTL_SECS: i64 = 30 * 60;

    /// A challenge the server issued, as read back from a form.
    pub struct Challenge {
        pub issued: i64,
        pub nonce: String,
        pub a: u32,
        pub b: u32,
    }

    /// Signs with the platform's key (`Store::challenge_mac`), so that a form issued by one
    /// node is accepted by another; what a challenge says cannot be changed without the key.
    pub type Mac<'a> = &'a dyn Fn(&str) -> Vec<u8>;

    fn signed(mac: Mac<'_>, issued: i64, nonce: &str, a: u32, b: u32) -> String {
        hex::encode(mac(&format!(
            "probity/complaint-challenge|{issued}|{nonce}|{a}|{b}"
        )))
    }

    /// A fresh challenge issued at `now` (Unix seconds).
    pub fn issue(mac: Mac<'_>, now: i64) -> Option<(String, Challenge)> {
        let mut r = [0u8; 18];
        getrandom::fill(&mut r).ok()?;
        let nonce = hex::encode(&r[..16]);
        let (a, b) = (u32::from(r[16] % 20) + 1, u32::from(r[17] % 20) + 1);
        let token = format!("{now}.{nonce}.{a}.{b}.{}", signed(mac, now, &nonce, a, b));
        Some((
            token,
            Challenge {
                issued: now,
                nonce,
                a,
                b,
            },
        ))
    }

    /// The challenge of a form, if this server issued it and it is still fresh at `now`.
    pub fn read(key: Mac<'_>, token: &str, now: i64) -> Result<Challenge, &'static str> {
        let expired = "安全验证已过期，请重新提交（已为您生成新的验证）";
        let bad = "安全验证无效，请在本页重新提交";
        let parts: Vec<&str> = token.trim().split('.').collect();
        let [issued, nonce, a, b, mac] = parts.as_slice() else {
            return Err(bad);
        };
        let (Ok(issued), Ok(a), Ok(b)) = (issued.parse::<i64>(), a.parse(), b.parse()) else {
            return Err(bad);
        };
        let want = signed(key, issued, nonce, a, b);
        if !crate::auth::constant_time_eq(want.as_bytes(), mac.as_bytes()) {
            return Err(bad);
        }
        if now - issued > CHALLENGE_TTL_SECS || issued - now > 60 {
            return Err(expired);
        }
        Ok(Challenge {
            issued,
            nonce: nonce.to_string(),
            a,
            b,
        })
    }

    /// Leading zero bits of a digest.
    pub fn zero_bits(digest: &[u8]) -> u32 {
        let mut n = 0;
        for b in digest {
            if *b == 0 {
                n += 8;
            } else {
                return n + b.leading_zeros();
            }
        }
        n
    }

    /// Whether `counter` solves the proof-of-work of `token`.
    pub fn pow_solved(token: &str, counter: &str) -> bool {
        let counter = counter.trim();
        !counter.is_empty()
            && counter.len() <= 12
            && counter.bytes().all(|b| b.is_ascii_digit())
            && zero_bits(&sm3(format!("{}:{counter}", token.trim()).as_bytes())) >= POW_BITS
    }

    /// Whether `answer` is the sum the question asks for (digits, full-width ones too).
    pub fn answered(c: &Challenge, answer: &str) -> bool {
        let digits: String = answer
            .trim()
            .chars()
            .map(|ch| match ch {
                '０'..='９' => char::from(b'0' + (ch as u32 - '０' as u32) as u8),
                other => other,
            })
            .collect();
        digits.parse::<u32>().ok() == Some(c.a + c.b)
    }

    /// Uses a challenge up: `false` when it was used before. Remembers each for its lifetime, on
    /// this node (as the per-client limit counts per node).
    pub fn spend(c: &Challenge, now: i64) -> bool {
        static USED: OnceLock<Mutex<HashMap<String, i64>>> = OnceLock::new();
        let mut used = USED
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        used.retain(|_, issued| now - *issued <= CHALLENGE_TTL_SECS);
        used.insert(c.nonce.clone(), c.issued).is_none()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_challenge_is_signed_fresh_and_spent_once() {
            let now = 1_800_000_000;
            let key = |m: &str| sm3(format!("key one|{m}").as_bytes()).to_vec();
            let other = |m: &str| sm3(format!("key two|{m}").as_bytes()).to_vec();
            let (token, c) = issue(&key, now).unwrap();
            assert!(read(&key, &token, now + 60).is_ok());
            assert!(
                read(&other, &token, now + 60).is_err(),
                "another platform's key"
            );
            assert!(read(&key, &token, now + CHALLENGE_TTL_SECS + 1).is_err());
            let forged = token.replacen(&format!(".{}.", c.a), &format!(".{}.", c.a + 1), 1);
            assert!(read(&key, &forged, now).is_err());
            assert!(read(&key, "1.2.3", now).is_err());
            assert!(answered(&c, &(c.a + c.b).to_string()));
            assert!(!answered(&c, &(c.a + c.b + 1).to_string()));
            let mut n = 0u64;
            while !pow_solved(&token, &n.to_string()) {
                n += 1;
            }
            assert!(zero_bits(&sm3(format!("{token}:{n}").as_bytes())) >= POW_BITS);
            assert!(spend(&c, now));
            assert!(!spend(&c, now + 1));
        }

        #[test]
        fn zero_bits_counts_leading_zeros() {
            assert_eq!(zero_bits(&[0, 0, 0x10, 0xff]), 19);
            assert_eq!(zero_bits(&[0x80]), 0);
        }
    }
}

/// The page's script: SM3 in JavaScript, the search for the counter in slices (the page stays
/// responsive), and the question hidden once the script runs. Sent inline with a nonce that the
/// page's own Content-Security-Policy allows.
const POW_SCRIPT: &str = r#"(function(){
var f=document.querySelector('form[data-bits]');if(!f||!window.Int32Array||!Math.clz32)return;
var tok=f.elements['challenge'].value,bits=+f.getAttribute('data-bits'),st=document.getElementById('pow-status'),q=document.getElementById('captcha');
function r(x,n){return(x<<n)|(x>>>(32-n));}
var W=new Int32Array(68),X=new Int32Array(64),V=new Int32Array(8),m=new Uint8Array(256);
function sm3(s){var l=s.length,b=((l+72)>>6)<<6,i,j,o;if(b>m.length)m=new Uint8Array(b);m.fill(0,0,b);for(i=0;i<l;i++)m[i]=s.charCodeAt(i)&255;m[l]=128;var t=l*8;m[b-4]=t>>>24;m[b-3]=(t>>>16)&255;m[b-2]=(t>>>8)&255;m[b-1]=t&255;
V[0]=0x7380166f;V[1]=0x4914b2b9;V[2]=0x172442d7;V[3]=0xda8a0600;V[4]=0xa96f30bc;V[5]=0x163138aa;V[6]=0xe38dee4d;V[7]=0xb0fb0e4e;
for(o=0;o<b;o+=64){for(j=0;j<16;j++)W[j]=(m[o+4*j]<<24)|(m[o+4*j+1]<<16)|(m[o+4*j+2]<<8)|m[o+4*j+3];
for(j=16;j<68;j++){var p=W[j-16]^W[j-9]^r(W[j-3],15);W[j]=p^r(p,15)^r(p,23)^r(W[j-13],7)^W[j-6];}
for(j=0;j<64;j++)X[j]=W[j]^W[j+4];
var A=V[0],B=V[1],C=V[2],D=V[3],E=V[4],F=V[5],G=V[6],H=V[7];
for(j=0;j<64;j++){var a=r(A,12),s1=r((a+E+r(j<16?0x79cc4519:0x7a879d8a,j%32))|0,7),s2=s1^a,
ff=j<16?A^B^C:(A&B)|(A&C)|(B&C),gg=j<16?E^F^G:(E&F)|(~E&G),t1=(ff+D+s2+X[j])|0,t2=(gg+H+s1+W[j])|0;
D=C;C=r(B,9);B=A;A=t1;H=G;G=r(F,19);F=E;E=t2^r(t2,9)^r(t2,17);}
V[0]^=A;V[1]^=B;V[2]^=C;V[3]^=D;V[4]^=E;V[5]^=F;V[6]^=G;V[7]^=H;}return V;}
function zeros(v){for(var n=0,i=0;i<8;i++){var w=v[i]>>>0;if(w)return n+Math.clz32(w);n+=32;}return n;}
var n=0,done=false,waiting=false;
q.hidden=true;f.elements['answer'].required=false;st.hidden=false;st.textContent='正在进行安全验证……';
function work(){for(var end=n+4000;n<end;n++){if(zeros(sm3(tok+':'+n))>=bits){f.elements['pow'].value=String(n);done=true;st.textContent='安全验证已完成';if(waiting)f.submit();return;}}setTimeout(work,0);}
f.addEventListener('submit',function(e){if(!done){e.preventDefault();waiting=true;st.textContent='正在完成安全验证，完成后自动提交……';}});
work();
})();"#;

/// The complaint form as posted (and as shown again with its problems).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ComplaintForm {
    subject: String,
    record_id: String,
    content: String,
    name: String,
    contact: String,
    challenge: String,
    pow: String,
    answer: String,
}

#[derive(Template)]
#[template(path = "complaint_new.html")]
struct ComplaintTpl {
    q: String,
    f: ComplaintForm,
    units: Vec<(String, String)>,
    errors: std::collections::HashMap<&'static str, String>,
    error: Option<String>,
    challenge: String,
    question: String,
    bits: u32,
    nonce: String,
    route_days: u32,
    answer_days: u32,
}

#[derive(Template)]
#[template(path = "complaint_filed.html")]
struct FiledTpl {
    q: String,
    tracking_no: String,
    code: String,
    unit: String,
    deadline: String,
}

/// The complaint form, its challenge fresh, with the page's policy allowing its one script.
async fn render_complaint(
    state: &AppState,
    f: ComplaintForm,
    errors: std::collections::HashMap<&'static str, String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let app = state.app.clone();
    let (units, d) = match blocking(move || {
        Ok((
            probity_app::roster::units(&app)?,
            probity_app::cases::deadlines(&app)?,
        ))
    })
    .await
    {
        Ok(u) => u,
        Err(e) => return public_page_error(e),
    };
    let fc = match form_challenge(state) {
        Ok(fc) => fc,
        Err(e) => return public_page_error(e),
    };
    let t = ComplaintTpl {
        q: String::new(),
        units: units
            .into_iter()
            .map(|u| (u.name, u.short_name.unwrap_or_default()))
            .collect(),
        f: ComplaintForm {
            challenge: String::new(),
            pow: String::new(),
            answer: String::new(),
            ..f
        },
        errors,
        error,
        challenge: fc.token,
        question: fc.question,
        bits: challenge::POW_BITS,
        nonce: fc.nonce.clone(),
        route_days: d.complaint_route_days,
        answer_days: d.complaint_answer_days,
    };
    allow_script(render(&t, status), &fc.nonce)
}

/// A fresh challenge for a form page (the complaint form, the record's correction form): its
/// token, its question for browsers without JavaScript, and the nonce of the page's one script.
struct FormChallenge {
    token: String,
    question: String,
    nonce: String,
}

fn form_challenge(state: &AppState) -> Result<FormChallenge, ApiError> {
    let no_random = || ApiError::Internal("no random source".into());
    let app = state.app.clone();
    let mac = move |m: &str| probity_app::cases::challenge_mac(&app, m);
    let (token, c) = challenge::issue(&mac, state.app.now().timestamp()).ok_or_else(no_random)?;
    let nonce = crate::http::random_hex().map_err(|_| no_random())?;
    Ok(FormChallenge {
        token,
        question: format!("{} 加 {} 等于多少？", c.a, c.b),
        nonce,
    })
}

/// A form page with the policy that allows its one script, by its nonce.
fn allow_script(mut res: Response, nonce: &str) -> Response {
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!(
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'nonce-{nonce}'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )) {
        res.headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// Why a public form's submission stops before its use case: shown again on the form (its
/// problems at their fields, and this summary), or a page of its own (over the limit).
enum Stopped {
    Form(String),
    Page(Box<Response>),
}

/// What every public form (a complaint, a report of an error) passes after its own fields, in
/// order: the challenge, its work proven or its question answered (with the fields' problems, all
/// at once); the challenge spent, so that a replay costs the client nothing of its limit; and the
/// per-client limit it shares with the API (`what` names the submission on the limit's page).
fn admit(
    state: &AppState,
    peer: &PeerAddr,
    headers: &HeaderMap,
    (token, pow, answer): (&str, &str, &str),
    errors: &mut std::collections::HashMap<&'static str, String>,
    what: &str,
) -> Result<(), Stopped> {
    let now = state.app.now().timestamp();
    let proven = proven(state, token, pow, answer, now);
    if let Err(why) = &proven {
        errors.insert("captcha", why.to_string());
    }
    let c = match proven {
        Ok(c) if errors.is_empty() => c,
        _ => {
            return Err(Stopped::Form(format!(
                "有 {} 项需要修改，请按提示更正后重新提交",
                errors.len()
            )));
        }
    };
    if !challenge::spend(&c, now) {
        errors.insert("captcha", "该安全验证已使用过，请重新提交".to_string());
        return Err(Stopped::Form("请重新提交".into()));
    }
    let client = client_key(headers, *peer, &state.config.trusted_proxies);
    if let Err(wait) = state.complaint_limiter.check(&client) {
        return Err(Stopped::Page(Box::new(over_limit(wait, what))));
    }
    Ok(())
}

/// The challenge of a posted form, if it is this server's, fresh, and either its work proven
/// or its question answered; else what to say at the form's `captcha`.
fn proven(
    state: &AppState,
    token: &str,
    pow: &str,
    answer: &str,
    now: i64,
) -> Result<challenge::Challenge, &'static str> {
    let mac = |m: &str| probity_app::cases::challenge_mac(&state.app, m);
    match challenge::read(&mac, token, now) {
        Err(why) => Err(why),
        Ok(c) if challenge::pow_solved(token, pow) || challenge::answered(&c, answer) => Ok(c),
        Ok(_) => Err("安全验证未通过：请重新计算页面上的算式"),
    }
}

/// The page that refuses a client over its hourly limit of complaints and reports of errors,
/// with when to try again.
fn over_limit(wait: u64, what: &str) -> Response {
    let minutes = wait.div_ceil(60).max(1);
    let mut res = crate::http::public_error_page(
        StatusCode::TOO_MANY_REQUESTS,
        &format!(
            "提交{what}过于频繁：同一网络地址每小时提交的投诉和纠错已达上限，请 {minutes} 分钟后再试。如情况紧急，请拨打 12345 热线。"
        ),
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&wait.to_string()) {
        res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    res
}

#[derive(Debug, Default, Deserialize)]
struct ComplaintPrefill {
    subject: Option<String>,
    record_id: Option<String>,
}

async fn complaint_form(
    State(state): State<AppState>,
    crate::http::PageQuery(p): crate::http::PageQuery<ComplaintPrefill>,
) -> Response {
    let f = ComplaintForm {
        subject: nonempty(&p.subject)
            .map(|s| crate::extract::truncate(&s, 100))
            .unwrap_or_default(),
        record_id: nonempty(&p.record_id)
            .filter(|r| r.len() <= 20 && r.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or_default(),
        ..ComplaintForm::default()
    };
    render_complaint(
        &state,
        f,
        std::collections::HashMap::new(),
        None,
        StatusCode::OK,
    )
    .await
}

async fn complaint_submit(
    State(state): State<AppState>,
    peer: PeerAddr,
    headers: HeaderMap,
    form: Result<axum::Form<ComplaintForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(axum::Form(f)) = form else {
        return crate::http::public_error_page(
            StatusCode::BAD_REQUEST,
            "表单内容无法读取，请返回投诉页面重新填写",
        );
    };
    let blank = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let mut errors = std::collections::HashMap::new();
    let record_id = match blank(&f.record_id) {
        None => None,
        Some(r) => match r.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                errors.insert(
                    "record_id",
                    "记录编号应为数字（记录页面上的编号）".to_string(),
                );
                None
            }
        },
    };
    let input = probity_domain::case::complaint::ComplaintInput {
        subject: f.subject.clone(),
        record_id,
        content: f.content.clone(),
        channel: probity_domain::case::complaint::Channel::Web
            .code()
            .to_string(),
        contact: blank(&f.contact),
        name: blank(&f.name),
    };
    if let Err(errs) = input.validate() {
        errors.extend(crate::pages::kit::field_map(errs, "content"));
    }
    let (challenge, pow, answer) = (f.challenge.clone(), f.pow.clone(), f.answer.clone());
    match admit(
        &state,
        &peer,
        &headers,
        (&challenge, &pow, &answer),
        &mut errors,
        "投诉",
    ) {
        Ok(()) => {}
        Err(Stopped::Form(message)) => {
            return render_complaint(
                &state,
                f,
                errors,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(Stopped::Page(res)) => return *res,
    }
    let app = state.app.clone();
    let filed = blocking(move || {
        let refused = match probity_app::cases::file_complaint(&app, None, &input) {
            Ok(filed) => {
                let p =
                    probity_app::cases::complaint_status(&app, &filed.tracking_no, &filed.code)?;
                return Ok(Ok((filed, p.unit)));
            }
            Err(probity_app::AppError::Fields(errs)) => {
                (crate::pages::kit::field_map(errs, "subject"), None)
            }
            Err(
                e @ (probity_app::AppError::Domain(_)
                | probity_app::AppError::Invalid { .. }
                | probity_app::AppError::BadInput { .. }),
            ) => (std::collections::HashMap::new(), Some(e.to_string())),
            Err(e) => return Err(e.into()),
        };
        Ok(Err(refused))
    })
    .await;
    match filed {
        Ok(Ok((filed, unit))) => render(
            &FiledTpl {
                q: String::new(),
                tracking_no: filed.tracking_no,
                code: filed.code,
                unit,
                deadline: filed
                    .case
                    .deadline
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            },
            StatusCode::CREATED,
        ),
        Ok(Err((errors, error))) => {
            let error = error.or_else(|| {
                Some(format!(
                    "有 {} 项需要修改，请按提示更正后重新提交",
                    errors.len()
                ))
            });
            render_complaint(&state, f, errors, error, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => public_page_error(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Reports of an error on a public record (纠错): the record's form, with the complaint form's
// challenge and the same per-client limit; followed on the complaints' status page.

/// The correction form as posted (and as shown again with its problems).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CorrectionForm {
    reasons: String,
    name: String,
    contact: String,
    challenge: String,
    pow: String,
    answer: String,
}

#[derive(Template)]
#[template(path = "correction_new.html")]
struct CorrectionTpl {
    q: String,
    r: PublicRecordView,
    f: CorrectionForm,
    errors: std::collections::HashMap<&'static str, String>,
    error: Option<String>,
    challenge: String,
    question: String,
    bits: u32,
    nonce: String,
    objection_days: u32,
}

#[derive(Template)]
#[template(path = "correction_filed.html")]
struct CorrectionFiledTpl {
    q: String,
    record_id: i64,
    tracking_no: String,
    code: String,
    deadline: String,
}

/// The record's correction form, its challenge fresh; while an objection to the record is open,
/// the record with a notice instead of the form.
async fn render_correction(
    state: &AppState,
    r: PublicRecordView,
    f: CorrectionForm,
    errors: std::collections::HashMap<&'static str, String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let app = state.app.clone();
    let d = match blocking(move || Ok(probity_app::cases::deadlines(&app)?)).await {
        Ok(d) => d,
        Err(e) => return public_page_error(e),
    };
    let fc = match form_challenge(state) {
        Ok(fc) => fc,
        Err(e) => return public_page_error(e),
    };
    let t = CorrectionTpl {
        q: String::new(),
        r,
        f: CorrectionForm {
            challenge: String::new(),
            pow: String::new(),
            answer: String::new(),
            ..f
        },
        errors,
        error,
        challenge: fc.token,
        question: fc.question,
        bits: challenge::POW_BITS,
        nonce: fc.nonce.clone(),
        objection_days: d.objection_days,
    };
    allow_script(render(&t, status), &fc.nonce)
}

async fn correction_form(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match load_record(&state, id).await {
        Ok(r) => {
            render_correction(
                &state,
                r,
                CorrectionForm::default(),
                std::collections::HashMap::new(),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(e) => public_page_error(e),
    }
}

/// Files a report of an error on the record: the record as the public sees it (a record it does
/// not see answers as an unknown one), every fault of the form at once, the challenge, the
/// per-client limit it shares with complaints, then `probity_app::cases::report_error`.
async fn correction_submit(
    State(state): State<AppState>,
    peer: PeerAddr,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<axum::Form<CorrectionForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(axum::Form(f)) = form else {
        return crate::http::public_error_page(
            StatusCode::BAD_REQUEST,
            "表单内容无法读取，请返回记录页面重新填写",
        );
    };
    let r = match load_record(&state, id).await {
        Ok(r) => r,
        Err(e) => return public_page_error(e),
    };
    let blank = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let input = probity_domain::case::objection::CorrectionInput {
        reasons: f.reasons.clone(),
        name: blank(&f.name),
        contact: blank(&f.contact),
    };
    let mut errors = std::collections::HashMap::new();
    if let Err(errs) = input.validate() {
        errors.extend(crate::pages::kit::field_map(errs, "reasons"));
    }
    let (challenge, pow, answer) = (f.challenge.clone(), f.pow.clone(), f.answer.clone());
    match admit(
        &state,
        &peer,
        &headers,
        (&challenge, &pow, &answer),
        &mut errors,
        "纠错",
    ) {
        Ok(()) => {}
        Err(Stopped::Form(message)) => {
            return render_correction(
                &state,
                r,
                f,
                errors,
                Some(message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        Err(Stopped::Page(res)) => return *res,
    }
    let app = state.app.clone();
    let record_id = r.id;
    let filed = blocking(move || {
        Ok(
            match probity_app::cases::report_error(&app, record_id, &input) {
                Ok(filed) => Ok(filed),
                Err(e @ probity_app::AppError::NotFound(_)) => return Err(e.into()),
                Err(probity_app::AppError::Fields(errs)) => Err((
                    crate::pages::kit::field_map(errs, "reasons"),
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )),
                Err(
                    e @ (probity_app::AppError::Domain(_)
                    | probity_app::AppError::Invalid { .. }
                    | probity_app::AppError::BadInput { .. }),
                ) => {
                    let message = e.to_string();
                    let status = ApiError::from(e).status();
                    Err((std::collections::HashMap::new(), Some(message), status))
                }
                Err(e) => return Err(e.into()),
            },
        )
    })
    .await;
    match filed {
        Ok(Ok(filed)) => render(
            &CorrectionFiledTpl {
                q: String::new(),
                record_id,
                tracking_no: filed.tracking_no,
                code: filed.code,
                deadline: filed
                    .case
                    .deadline
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            },
            StatusCode::CREATED,
        ),
        Ok(Err((errors, error, status))) => {
            let error = error.or_else(|| {
                Some(format!(
                    "有 {} 项需要修改，请按提示更正后重新提交",
                    errors.len()
                ))
            });
            // The record as it stands now (frozen as 异议处理中 by another's report, say).
            let r = match load_record(&state, record_id.to_string()).await {
                Ok(r) => r,
                Err(e) => return public_page_error(e),
            };
            render_correction(&state, r, f, errors, error, status).await
        }
        Err(e) => public_page_error(e),
    }
}

/// A complaint or a report of an error (纠错) as the one who filed it follows it: the steps in the
/// public's words.
#[derive(Template)]
#[template(path = "complaint_status.html")]
struct StatusTpl {
    q: String,
    tracking_no: String,
    /// Kept in the page's forms only (posted, never in an address).
    code: String,
    found: Option<probity_app::cases::PublicComplaint>,
    /// What the rating did, or why it was not taken.
    message: Option<String>,
    error: Option<String>,
    stars: Vec<(u8, &'static str)>,
}

fn status_page(
    tracking_no: String,
    code: String,
    found: Option<probity_app::cases::PublicComplaint>,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    render(
        &StatusTpl {
            q: String::new(),
            tracking_no,
            code,
            found,
            message,
            error,
            stars: vec![
                (5, "5 星：非常满意"),
                (4, "4 星：满意"),
                (3, "3 星：基本满意"),
                (2, "2 星：不满意"),
                (1, "1 星：非常不满意"),
            ],
        },
        status,
    )
}

async fn complaint_status_form() -> Response {
    status_page(
        String::new(),
        String::new(),
        None,
        None,
        None,
        StatusCode::OK,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StatusForm {
    tracking_no: String,
    code: String,
    stars: String,
    note: String,
}

/// Looks a complaint or a report of an error up with its code: `Ok(Err(message))`, the one
/// answer for an unknown number and a wrong code alike.
async fn lookup(
    state: &AppState,
    no: &str,
    code: &str,
) -> Result<Result<probity_app::cases::PublicComplaint, String>, ApiError> {
    let (app, no, code) = (state.app.clone(), no.to_string(), code.to_string());
    blocking(
        move || match probity_app::cases::complaint_status(&app, &no, &code) {
            Ok(p) => Ok(Ok(p)),
            Err(probity_app::AppError::NotFound(m)) => Ok(Err(m)),
            Err(e) => Err(e.into()),
        },
    )
    .await
}

async fn complaint_status_page(
    State(state): State<AppState>,
    form: Result<axum::Form<StatusForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(axum::Form(f)) = form else {
        return crate::http::public_error_page(
            StatusCode::BAD_REQUEST,
            "表单内容无法读取，请返回查询页面重新填写",
        );
    };
    let no = crate::extract::truncate(f.tracking_no.trim(), 40);
    let code = crate::extract::truncate(f.code.trim(), 40);
    if no.is_empty() || code.is_empty() {
        return status_page(
            no,
            code,
            None,
            None,
            Some("请填写受理编号和查询码".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match lookup(&state, &no, &code).await {
        Ok(Ok(p)) => status_page(no, code, Some(p), None, None, StatusCode::OK),
        Ok(Err(not_found)) => status_page(
            no,
            String::new(),
            None,
            None,
            Some(not_found),
            StatusCode::NOT_FOUND,
        ),
        Err(e) => public_page_error(e),
    }
}

async fn complaint_rating(
    State(state): State<AppState>,
    form: Result<axum::Form<StatusForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(axum::Form(f)) = form else {
        return crate::http::public_error_page(
            StatusCode::BAD_REQUEST,
            "表单内容无法读取，请返回查询页面重新评价",
        );
    };
    let no = crate::extract::truncate(f.tracking_no.trim(), 40);
    let code = crate::extract::truncate(f.code.trim(), 40);
    let stars = f
        .stars
        .trim()
        .parse::<u8>()
        .ok()
        .filter(|s| (1..=5).contains(s));
    let note = f.note.clone();
    let app = state.app.clone();
    let (n2, c2) = (no.clone(), code.clone());
    let rated = blocking(move || {
        let Some(stars) = stars else {
            return Ok(Err("请选择 1 至 5 星的评价".to_string()));
        };
        match probity_app::cases::rate_complaint(&app, &n2, &c2, stars, &note) {
            Ok(p) => Ok(Ok(Ok(p))),
            Err(probity_app::AppError::NotFound(m)) => Ok(Ok(Err(m))),
            Err(
                e @ (probity_app::AppError::Domain(_)
                | probity_app::AppError::Invalid { .. }
                | probity_app::AppError::AtField(..)),
            ) => Ok(Err(e.to_string())),
            Err(e) => Err(e.into()),
        }
    })
    .await;
    match rated {
        Ok(Ok(Ok(p))) => status_page(
            no,
            code,
            Some(p),
            Some("感谢您的评价，评价已记录".into()),
            None,
            StatusCode::OK,
        ),
        Ok(Ok(Err(not_found))) => status_page(
            no,
            String::new(),
            None,
            None,
            Some(not_found),
            StatusCode::NOT_FOUND,
        ),
        // Not taken (already rated, not answered yet, no stars): the complaint as it stands.
        Ok(Err(why)) => match lookup(&state, &no, &code).await {
            Ok(Ok(p)) => status_page(
                no,
                code,
                Some(p),
                None,
                Some(why),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Ok(Err(not_found)) => status_page(
                no,
                String::new(),
                None,
                None,
                Some(not_found),
                StatusCode::NOT_FOUND,
            ),
            Err(e) => public_page_error(e),
        },
        Err(e) => public_page_error(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Credit reports

/// A report just issued: its number and verification code, and what it says.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedReportView {
    pub report_no: String,
    /// Shown once: with the number, it lets anyone verify the report at `/verify`.
    pub code: String,
    pub issued_on: String,
    /// The signed content (canonical JSON).
    pub content: String,
    /// SM2 signature over `content`, hex (r ‖ s).
    pub signature: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyParams {
    /// Report number, e.g. XYBG20261126000001
    pub no: Option<String>,
    /// Verification code printed on the report
    pub code: Option<String>,
}

/// The outcome of a verification.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyView {
    /// authentic, tampered or unknown
    pub result: String,
    pub message: String,
    pub report_no: Option<String>,
    pub issued_on: Option<String>,
    pub subject_name: Option<String>,
    /// Whether the report still matches what the unit's profile discloses today.
    pub current: Option<bool>,
}

/// Issues a report for the client `client` (its address, as the rate limits count it).
async fn issue(
    state: &AppState,
    uscc: String,
    client: String,
) -> Result<probity_app::report::Issued, ApiError> {
    let app = state.app.clone();
    blocking(move || {
        probity_app::report::issue_today(&app, &uscc, &client)
            .map_err(|e| public_error(e, "该统一社会信用代码对应的单位"))
    })
    .await
}

/// Issues a signed credit report of a unit's public profile as of today (no login). The same
/// unit's report of the same day and content is issued once: asking again answers the same
/// report number with a verification code of its own. At most 10 reports per client an hour
/// (429 `RATE_LIMITED`).
#[utoipa::path(post, path = "/api/v1/public/subjects/{uscc}/report", tag = "public",
    params(("uscc" = String, Path, description = "统一社会信用代码")),
    responses((status = 201, body = IssuedReportView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn issue_report_api(
    State(state): State<AppState>,
    peer: PeerAddr,
    headers: HeaderMap,
    Path(uscc): Path<String>,
) -> Result<Response, ApiError> {
    let client = client_key(&headers, peer, &state.config.trusted_proxies);
    let i = issue(&state, uscc, client).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedReportView {
            report_no: i.report.report_no,
            code: i.code,
            issued_on: i.report.issued_on,
            content: i.report.content,
            signature: hex_of(&i.report.signature),
        }),
    )
        .into_response())
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

async fn verify_view(state: &AppState, no: String, code: String) -> Result<VerifyView, ApiError> {
    use probity_app::report::Verification;
    let app = state.app.clone();
    let v = blocking(move || Ok(probity_app::report::verify_today(&app, &no, &code)?)).await?;
    Ok(match v {
        Verification::Unknown => VerifyView {
            result: "unknown".into(),
            message: "报告编号或验证码不正确，未能核验".into(),
            report_no: None,
            issued_on: None,
            subject_name: None,
            current: None,
        },
        Verification::Tampered { report_no } => VerifyView {
            result: "tampered".into(),
            message: "该报告的存档内容与签名不符，不能作为有效报告使用，请联系信用办".into(),
            report_no: Some(report_no),
            issued_on: None,
            subject_name: None,
            current: None,
        },
        Verification::Authentic {
            report_no,
            content,
            current,
        } => VerifyView {
            result: "authentic".into(),
            message: if current {
                "报告真实有效，所载内容与当前公示信息一致".into()
            } else {
                "报告真实，为出具日的信息；此后该单位的公示信息已有变化，请以最新报告为准".into()
            },
            report_no: Some(report_no),
            issued_on: Some(content.issued_on),
            subject_name: Some(content.subject.name),
            current: Some(current),
        },
    })
}

/// Checks a report number and verification code (no login): authentic, and still current?
#[utoipa::path(get, path = "/api/v1/public/reports/verify", tag = "public", params(VerifyParams),
    responses((status = 200, body = VerifyView), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn verify_report_api(
    State(state): State<AppState>,
    Params(p): Params<VerifyParams>,
) -> Result<Json<VerifyView>, ApiError> {
    let (Some(no), Some(code)) = (nonempty(&p.no), nonempty(&p.code)) else {
        return Err(bad("QUERY_INVALID", "请填写报告编号和验证码"));
    };
    Ok(Json(verify_view(&state, no, code).await?))
}

async fn issue_report_page(
    State(state): State<AppState>,
    peer: PeerAddr,
    headers: HeaderMap,
    Path(uscc): Path<String>,
) -> Response {
    let client = client_key(&headers, peer, &state.config.trusted_proxies);
    match issue(&state, uscc, client).await {
        Ok(i) => axum::response::Redirect::to(&format!(
            "/reports/{}?code={}",
            i.report.report_no, i.code
        ))
        .into_response(),
        Err(e) => public_page_error(e),
    }
}

#[derive(Template)]
#[template(path = "public_report.html")]
struct ReportTpl {
    q: String,
    report_no: String,
    code: String,
    c: probity_app::report::ReportContent,
    signature: String,
    public_key: String,
    /// The verification page's full address for this report, and it as a QR code (SVG).
    verify_url: String,
    qr: String,
}

/// The portal's address: the configured one, else the one this request came to.
fn public_base(state: &AppState, headers: &axum::http::HeaderMap) -> String {
    if let Some(u) = &state.public_url {
        return u.to_string();
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

async fn report_page(
    State(state): State<AppState>,
    Path(no): Path<String>,
    headers: axum::http::HeaderMap,
    crate::http::PageQuery(p): crate::http::PageQuery<VerifyParams>,
) -> Response {
    let base = public_base(&state, &headers);
    let code = nonempty(&p.code).unwrap_or_default();
    let app = state.app.clone();
    let found = blocking(move || {
        let Some((r, c, key)) = probity_app::report::shown(&app, &no, &code)? else {
            return Err(ApiError::NotFound("报告编号或验证码不正确".into()));
        };
        Ok((r, code, c, key))
    })
    .await;
    match found {
        Ok((r, code, c, public_key)) => {
            let verify_url = format!(
                "{base}/verify?{}",
                crate::http::query_string(&[("no", &r.report_no), ("code", &code)])
            );
            render(
                &ReportTpl {
                    q: String::new(),
                    report_no: r.report_no,
                    code,
                    c,
                    signature: hex_of(&r.signature),
                    public_key,
                    qr: crate::http::qr_svg(&verify_url),
                    verify_url,
                },
                StatusCode::OK,
            )
        }
        Err(e) => public_page_error(e),
    }
}

#[derive(Template)]
#[template(path = "public_verify.html")]
struct VerifyTpl {
    q: String,
    no: String,
    code: String,
    result: Option<VerifyView>,
    error: Option<String>,
}

async fn verify_page(
    State(state): State<AppState>,
    crate::http::PageQuery(p): crate::http::PageQuery<VerifyParams>,
) -> Response {
    let no = nonempty(&p.no).unwrap_or_default();
    let code = nonempty(&p.code).unwrap_or_default();
    let mut t = VerifyTpl {
        q: String::new(),
        no: no.clone(),
        code: code.clone(),
        result: None,
        error: None,
    };
    if no.is_empty() && code.is_empty() {
        return render(&t, StatusCode::OK);
    }
    if no.is_empty() || code.is_empty() {
        t.error = Some("请填写报告编号和验证码".into());
        return render(&t, StatusCode::BAD_REQUEST);
    }
    match verify_view(&state, no, code).await {
        Ok(v) => {
            t.result = Some(v);
            render(&t, StatusCode::OK)
        }
        Err(e) => public_page_error(e),
    }
}
