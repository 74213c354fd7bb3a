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
        .route("/rules", get(rules_page))
        .route(
            "/subjects/{uscc}/report",
            axum::routing::post(issue_report_page),
        )
        .route("/reports/{no}", get(report_page))
        .route("/verify", get(verify_page))
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
        Ok(ProfileView {
            name: p.subject.name.clone(),
            kind: p.subject.kind.code().to_string(),
            kind_label: p.subject.kind.label().to_string(),
            uscc: p.subject.uscc.clone().unwrap_or_default(),
            predecessors: p.predecessors.iter().map(|s| s.name.clone()).collect(),
            dishonest: p.dishonest.iter().map(PublicRecordView::from).collect(),
            trustworthy: p.trustworthy.iter().map(PublicRecordView::from).collect(),
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
}

#[derive(Template)]
#[template(path = "public_rules.html")]
struct RulesTpl {
    q: String,
    rows: Vec<RuleRow>,
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

async fn rules_page(State(state): State<AppState>) -> Response {
    let app = state.app.clone();
    let catalog = match blocking(move || Ok(probity_app::catalog::current(&app)?)).await {
        Ok(c) => c,
        Err(e) => return public_page_error(e),
    };
    let rows = catalog
        .categories()
        .iter()
        .map(|c| {
            let periods = match c.kind {
                probity_domain::catalog::RecordKind::Trustworthy => period(c.bounds(None)),
                probity_domain::catalog::RecordKind::Dishonest => Severity::ALL
                    .iter()
                    .map(|s| format!("{}：{}", s.label(), period(c.bounds(Some(*s)))))
                    .collect::<Vec<_>>()
                    .join("；"),
            };
            RuleRow {
                name: c.name.clone(),
                kind: c.kind.label(),
                periods,
                repairable: if c.repairable {
                    "可申请"
                } else {
                    "不适用"
                },
            }
        })
        .collect();
    render(
        &RulesTpl {
            q: String::new(),
            rows,
        },
        StatusCode::OK,
    )
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
