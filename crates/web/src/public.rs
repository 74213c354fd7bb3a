//! The public side, without login: Chinese full-text search over units and disclosed records
//! (`GET /api/v1/public/search` and the pages `/` and `/search`). Everything shown comes from the
//! search index, which holds only what the disclosure policy lets the public see, already masked.
//! Public routes are rate-limited per client.

use std::sync::Arc;

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use probity_domain::catalog::{Catalog, Severity};
use probity_domain::subject::SubjectKind;
use probity_search::{Hit, Hits, SearchError, SearchIndex, SearchQuery};
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
    OpenApiRouter::new().routes(routes!(search_api))
}

pub fn pages_router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/", get(home))
        .route("/search", get(search_page))
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
    if text.is_empty() {
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

/// Per-client brake on the public routes.
fn limit(state: &AppState, headers: &HeaderMap, peer: PeerAddr) -> Result<(), ApiError> {
    state
        .public_limiter
        .check(&client_key(headers, peer, &state.config.trusted_proxies))
        .map_err(|wait| ApiError::TooManyRequests {
            retry_after_secs: wait,
        })
}

/// Runs a checked search against the index.
async fn run(
    index: Arc<SearchIndex>,
    store: probity_store::Store,
    p: SearchParams,
) -> Result<SearchPage, ApiError> {
    blocking(move || {
        let catalog = store.catalog()?;
        let c = check(&p, &catalog)?;
        let hits = index
            .search(&c.query, probity_app::today())
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
    headers: HeaderMap,
    peer: PeerAddr,
    Params(p): Params<SearchParams>,
) -> Result<Json<SearchPage>, ApiError> {
    limit(&state, &headers, peer)?;
    Ok(Json(
        run(state.search.clone(), state.store.clone(), p).await?,
    ))
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
    /// The query string without `page`, for the pager and the facet links.
    base: String,
    prev: Option<String>,
    next: Option<String>,
}

fn render(t: &impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(s) => (status, Html(s)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
            crate::pages::error_page(StatusCode::INTERNAL_SERVER_ERROR, "页面生成失败")
        }
    }
}

async fn home(State(state): State<AppState>, headers: HeaderMap, peer: PeerAddr) -> Response {
    if let Err(e) = limit(&state, &headers, peer) {
        return crate::pages::error_page(e.status(), &e.detail().message);
    }
    let index = state.search.clone();
    let latest = blocking(move || {
        index
            .latest(10, probity_app::today())
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
        Err(e) => crate::pages::error_page(e.status(), &e.detail().message),
    }
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", crate::pages::percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn search_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: PeerAddr,
    crate::pages::PageQuery(p): crate::pages::PageQuery<SearchParams>,
) -> Response {
    if let Err(e) = limit(&state, &headers, peer) {
        return crate::pages::error_page(e.status(), &e.detail().message);
    }
    let q = nonempty(&p.q).unwrap_or_default();
    let kind = nonempty(&p.kind).unwrap_or_default();
    let severity = nonempty(&p.severity).unwrap_or_default();
    let category = nonempty(&p.category).unwrap_or_default();
    let year = nonempty(&p.year).unwrap_or_default();
    let base = query_string(&[
        ("q", &q),
        ("kind", &kind),
        ("category", &category),
        ("severity", &severity),
        ("year", &year),
    ]);
    let mut t = SearchTpl {
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
        base: base.clone(),
        prev: None,
        next: None,
    };
    if q.is_empty() {
        return render(&t, StatusCode::OK);
    }
    match run(state.search.clone(), state.store.clone(), p).await {
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
