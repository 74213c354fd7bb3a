//! The HTTP layer of Probity (axum): the JSON API under `/api/v1`, health and metrics, the
//! OpenAPI description generated from the handlers. Handlers translate between HTTP and the
//! store; the authorisation table and every business rule live in the domain.

pub mod api;
pub mod auth;
pub mod charts;
pub mod error;
pub mod extract;
pub mod http;
#[cfg(test)]
mod layering;
pub mod metrics;
pub mod pages;
pub mod public;
pub mod upload;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use probity_store::Store;
use serde_json::json;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::metrics::Metrics;

/// Largest JSON body accepted.
pub const JSON_LIMIT: usize = 1024 * 1024;

/// What the server is told by its operator (flags, environment, TOML file).
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// A session ends this long after login at the latest.
    pub session_ttl: chrono::Duration,
    /// A session ends after this long without a request (等保: 会话超时).
    pub session_idle: chrono::Duration,
    /// Mark cookies `Secure` (set when the platform is served over TLS, directly or by a proxy).
    pub secure_cookies: bool,
    /// Login attempts per client address per minute.
    pub login_per_minute: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client; from anyone else the header is
    /// ignored, so a client cannot pick the address its login attempts count against.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The bearer token that opens `/metrics` on the main address. Without it `/metrics`
    /// answers 404 there: its per-route counts are for the operator, not for anyone.
    pub metrics_token: Option<metrics::MetricsToken>,
    /// A second address that serves `/metrics` alone, without a token, for a monitoring system
    /// on a network of its own (`serve --metrics-addr`).
    pub metrics_addr: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            session_ttl: chrono::Duration::hours(8),
            session_idle: chrono::Duration::minutes(30),
            secure_cookies: false,
            login_per_minute: 10,
            trusted_proxies: Vec::new(),
            metrics_token: None,
            metrics_addr: None,
        }
    }
}

/// What the pages need beyond the API: how large an uploaded file may be and where it waits for
/// its import, and where the search index lives.
#[derive(Debug, Clone)]
pub struct PagesConfig {
    /// Largest file a page upload accepts.
    pub upload_limit: u64,
    /// Where uploaded files wait for their import; a fresh temporary directory when `None`.
    pub upload_dir: Option<std::path::PathBuf>,
    /// The search index's directory; in memory when `None` (built from the database at start).
    pub search_dir: Option<std::path::PathBuf>,
    /// How often the search index catches up with the change feed.
    pub search_every: Duration,
    /// Public requests (search, profiles) per client address per minute.
    pub public_per_minute: usize,
    /// The portal's address as the public reaches it (`https://xy.example.gov.cn`), for the
    /// verification address and QR code printed on a credit report. Without it, the address the
    /// request came to (its Host) is used.
    pub public_url: Option<String>,
    /// Complaints a client address may file per hour without a bearer token (the portal's form
    /// and `POST /api/v1/public/complaints` together; DESIGN.md §5 fixes 3).
    pub complaints_per_hour: usize,
}

impl Default for PagesConfig {
    fn default() -> Self {
        PagesConfig {
            upload_limit: 50 * 1024 * 1024,
            upload_dir: None,
            search_dir: None,
            search_every: Duration::from_secs(2),
            public_per_minute: 120,
            public_url: None,
            complaints_per_hour: 3,
        }
    }
}

/// A catalog and when it was read.
pub type CatalogSnapshot = (std::time::Instant, Arc<probity_domain::catalog::Catalog>);

#[derive(Clone)]
pub struct AppState {
    /// The use cases, with the store and the clock behind them.
    pub app: probity_app::App,
    pub config: Arc<WebConfig>,
    pub metrics: Arc<Metrics>,
    pub login_limiter: Arc<auth::LoginLimiter>,
    pub identities: Arc<auth::IdentityCache>,
    /// Uploads waiting for or running their import (the pages' upload flow).
    pub uploads: Arc<pages::upload::Uploads>,
    /// The public search index, kept up with the change feed by `serve`.
    pub search: Arc<probity_search::SearchIndex>,
    /// Requests per client on the public routes.
    pub public_limiter: Arc<auth::LoginLimiter>,
    /// Complaints filed per client address per hour, without a token (the form and the API).
    pub complaint_limiter: Arc<auth::LoginLimiter>,
    /// The catalog as the public routes last read it (they read it on every search otherwise).
    pub public_catalog: Arc<std::sync::Mutex<Option<CatalogSnapshot>>>,
    /// `PagesConfig::public_url`, without a trailing slash.
    pub public_url: Option<Arc<str>>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Probity 政务诚信信息平台 API", description = "JSON API of the government-integrity platform. Errors are `{\"error\": {\"code\", \"message\"}}` with a stable code and a Chinese message."),
    tags(
        (name = "auth", description = "登录与会话"),
        (name = "subjects", description = "主体名录"),
        (name = "catalog", description = "信用信息目录"),
        (name = "records", description = "信用记录"),
        (name = "accounts", description = "账号与角色（三员分立）"),
        (name = "audit", description = "审计日志"),
        (name = "cases", description = "案件：异议、信用修复、整改、投诉举报"),
        (name = "assessments", description = "考核评价：指标体系、评分、排名、归档"),
        (name = "public", description = "公开查询（无需登录）"),
        (name = "eligibility", description = "公务员年度考核优秀等次资格核查（组织人事部门）"),
        (name = "commitments", description = "守信践诺：政府采购合同履约（合同、付款、付款规则）"),
    )
)]
struct ApiDoc;

/// The whole router and the OpenAPI description of it, from the same registrations.
pub fn app(store: Store, config: WebConfig) -> (Router, utoipa::openapi::OpenApi) {
    let search =
        Arc::new(probity_search::SearchIndex::in_memory().expect("an in-memory index needs no IO"));
    app_with(store, config, PagesConfig::default(), search)
}

/// Opens the search index `pages_config` names (in memory when it names none).
pub fn open_search(
    pages_config: &PagesConfig,
) -> std::io::Result<Arc<probity_search::SearchIndex>> {
    let index = match &pages_config.search_dir {
        Some(dir) => probity_search::SearchIndex::open(dir, 50_000_000),
        None => probity_search::SearchIndex::in_memory(),
    };
    index.map(Arc::new).map_err(std::io::Error::other)
}

/// As `app`, with the pages' settings and the search index.
pub fn app_with(
    store: Store,
    config: WebConfig,
    pages_config: PagesConfig,
    search: Arc<probity_search::SearchIndex>,
) -> (Router, utoipa::openapi::OpenApi) {
    app_on(
        probity_app::App::new(store, probity_app::Clock::system()),
        config,
        pages_config,
        search,
    )
}

/// As `app_with`, on the use cases of `app` (its store and its clock: a test sets the date).
pub fn app_on(
    app: probity_app::App,
    config: WebConfig,
    pages_config: PagesConfig,
    search: Arc<probity_search::SearchIndex>,
) -> (Router, utoipa::openapi::OpenApi) {
    app_counting(app, config, pages_config, search, Arc::default())
}

/// As `app_with`, counting into `metrics` (which a separate metrics address serves too).
fn app_counting(
    app: probity_app::App,
    config: WebConfig,
    pages_config: PagesConfig,
    search: Arc<probity_search::SearchIndex>,
    metrics: Arc<Metrics>,
) -> (Router, utoipa::openapi::OpenApi) {
    let state = AppState {
        search,
        public_catalog: Arc::default(),
        public_url: pages_config
            .public_url
            .as_deref()
            .map(|u| Arc::from(u.trim_end_matches('/'))),
        public_limiter: Arc::new(auth::LoginLimiter::new(
            pages_config.public_per_minute,
            Duration::from_secs(60),
        )),
        complaint_limiter: Arc::new(auth::LoginLimiter::new(
            pages_config.complaints_per_hour,
            Duration::from_secs(3600),
        )),
        app,
        login_limiter: Arc::new(auth::LoginLimiter::new(
            config.login_per_minute,
            Duration::from_secs(60),
        )),
        identities: Arc::new(auth::IdentityCache::new()),
        uploads: Arc::new(pages::upload::Uploads::new(
            pages_config.upload_dir,
            pages_config.upload_limit,
        )),
        config: Arc::new(config),
        metrics,
    };
    let (api_router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(api::router())
        .merge(
            public::api_router().route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                public::limited,
            )),
        )
        .merge(
            api::cases::public_router().route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                public::limited,
            )),
        )
        .split_for_parts();
    add_plain_routes(&mut openapi);
    let spec = Arc::new(openapi.clone());
    let router = api_router
        .merge(pages::router())
        .merge(public::pages_router().route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            public::limited,
        )))
        .route("/healthz", get(healthz))
        .route("/ping", get(ping))
        .route("/metrics", get(metrics_text))
        .route("/openapi.json", get(move || {
            let spec = spec.clone();
            async move { Json(spec.as_ref().clone()) }
        }))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::authorize))
        .route_layer(axum::middleware::from_fn_with_state(state.metrics.clone(), metrics::track))
        .fallback(not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(JSON_LIMIT))
        // Strict security headers on every answer.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
        ))
        // Answers carry personal data, secrets being enrolled and CSRF tokens: no cache keeps
        // them unless a route says otherwise (the stylesheet does).
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(HeaderName::from_static("x-request-id")))
        .layer(SetRequestIdLayer::new(HeaderName::from_static("x-request-id"), MakeRequestUuid));
    (router, openapi)
}

/// Routes served outside `/api/v1` are described too, so that the description covers every route.
fn add_plain_routes(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
    use utoipa::openapi::response::ResponseBuilder;
    for (path, summary) in [
        ("/healthz", "存活与数据库检查"),
        ("/ping", "存活检查（不访问数据库），供负载均衡探测"),
        ("/metrics", "Prometheus 指标"),
        ("/openapi.json", "本 API 描述"),
    ] {
        let op = OperationBuilder::new()
            .summary(Some(summary))
            .tag("platform")
            .response("200", ResponseBuilder::new().description("OK").build())
            .build();
        openapi
            .paths
            .paths
            .insert(path.to_string(), PathItem::new(HttpMethod::Get, op));
    }
}

async fn not_found(req: axum::extract::Request) -> axum::response::Response {
    let path = req.uri().path();
    if http::is_page_route(path) && http::wants_html(req.headers()) {
        if !http::is_console_route(path) {
            return http::public_error_page(
                StatusCode::NOT_FOUND,
                "页面不存在，请从首页或信用查询进入",
            );
        }
        return http::error_page(StatusCode::NOT_FOUND, "页面不存在，请从导航进入");
    }
    error::ApiError::NotFound("没有这个地址".into()).into_response()
}

/// Liveness and readiness in one: the process answers and the database answers.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let app = state.app.clone();
    let result = extract::blocking(move || Ok(probity_app::audit::head(&app)?)).await;
    match result {
        Ok(seq) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": "ok", "head_seq": seq })),
        ),
        Err(e) if e.status() == StatusCode::INTERNAL_SERVER_ERROR => {
            tracing::error!(error = ?e, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({ "status": "error", "database": "unavailable", "message": "数据库不可用" }),
                ),
            )
        }
        Err(e) => {
            tracing::error!(error = ?e, "health check failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "status": "error", "message": "内部错误" })),
            )
        }
    }
}

/// The process answers; nothing else is asked. For load balancers, and the bare baseline of the
/// load benchmark.
async fn ping() -> &'static str {
    "pong"
}

/// `/metrics` on the main address: for the holder of the metrics token only. Anyone else, and
/// everyone when no token is configured, gets 404, as if there were nothing here.
async fn metrics_text(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    let admitted = state
        .config
        .metrics_token
        .as_ref()
        .is_some_and(|t| t.admits(&headers));
    if !admitted {
        return error::ApiError::NotFound(
            "指标接口不在此地址开放（见 serve 的 --metrics-addr 与 --metrics-token）".into(),
        )
        .into_response();
    }
    metrics::exposition(&state.metrics)
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    store: Store,
    config: WebConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(store, config, PagesConfig::default(), listener, shutdown).await
}

/// As `serve`, with the pages' settings; `/metrics` also on `config.metrics_addr` when set.
pub async fn serve_with(
    store: Store,
    config: WebConfig,
    pages_config: PagesConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics_listener =
        match &config.metrics_addr {
            Some(addr) => Some(tokio::net::TcpListener::bind(addr).await.map_err(|e| {
                std::io::Error::new(e.kind(), format!("无法监听指标地址 {addr}：{e}"))
            })?),
            None => None,
        };
    serve_with_metrics(
        store,
        config,
        pages_config,
        listener,
        metrics_listener,
        shutdown,
    )
    .await
}

/// As `serve_with`, serving `/metrics` alone on `metrics_listener`, without a token; it stops
/// with the main server.
pub async fn serve_with_metrics(
    store: Store,
    config: WebConfig,
    pages_config: PagesConfig,
    listener: tokio::net::TcpListener,
    metrics_listener: Option<tokio::net::TcpListener>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    tracing::info!(addr = ?listener.local_addr().ok(), "probity serving");
    let app = probity_app::App::new(store, probity_app::Clock::system());
    // Imports a stopped node was running wait again for their official.
    let lapsed = app.clone();
    match tokio::task::spawn_blocking(move || probity_app::jobs::release_lapsed(&lapsed)).await {
        Ok(Ok(0)) => {}
        Ok(Ok(n)) => {
            tracing::warn!(
                jobs = n,
                "imports interrupted by a stop wait to be started again"
            )
        }
        Ok(Err(e)) => tracing::error!(error = %e, "could not look for interrupted imports"),
        Err(e) => tracing::error!(error = %e, "could not look for interrupted imports"),
    }
    let search = open_search(&pages_config)?;
    let indexer = probity_app::reindex::Indexer::start(
        app.clone(),
        search.clone(),
        pages_config.search_every,
    );
    // Expiry of disclosure periods (and the coming clocks): at start and each new Beijing day.
    let ticker = probity_app::tick::Ticker::start(app.clone(), std::time::Duration::from_secs(60));
    let metrics = Arc::new(Metrics::default());
    let (router, _) = app_counting(app, config, pages_config, search, metrics.clone());
    // The metrics server stops when the main one does, however that ends (a dropped sender
    // wakes it too).
    let (stopped, mut stop) = tokio::sync::watch::channel(false);
    let side = metrics_listener.map(|l| {
        tracing::info!(addr = ?l.local_addr().ok(), "metrics served");
        tokio::spawn(async move {
            axum::serve(l, metrics::router(metrics))
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
        })
    });
    let served = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    let _ = stopped.send(true);
    if let Some(side) = side
        && let Ok(Err(e)) = side.await
    {
        tracing::error!(error = %e, "metrics server failed");
    }
    indexer.stop();
    ticker.stop();
    served
}
