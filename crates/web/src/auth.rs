//! Who is asking, and may they: sessions (HttpOnly cookie) and bearer tokens, CSRF on every
//! state-changing request made with a cookie (a header for the API, a hidden form field for the
//! pages), and the authorisation table of the domain applied to every route in one middleware.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use probity_domain::account::AccountRole;
use probity_domain::authz::{self, Reach};
use probity_store::accounts::Account;

use crate::AppState;
use crate::error::ApiError;
pub use crate::http::cookie_value;

pub const SESSION_COOKIE: &str = "probity_session";

/// The `Set-Cookie` value of a new session: HttpOnly, SameSite=Strict, for the session's life,
/// `Secure` where the platform is served over TLS.
pub fn session_cookie(config: &crate::WebConfig, token: &str) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        config.session_ttl.num_seconds(),
        if config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    )
}
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller proved who it is.
#[derive(Debug, Clone)]
pub enum Credential {
    Session { token: String, csrf: String },
    Token,
}

/// The caller of a request that passed the authorisation table, with its reach on the route.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: Account,
    pub credential: Credential,
    pub reach: Reach,
}

impl Caller {
    /// The unit the caller acts for (providers and assessed units are bound to one).
    pub fn unit(&self) -> Option<i64> {
        self.account.unit_id
    }
    pub fn role(&self) -> AccountRole {
        self.account.role
    }
    /// A name for the audit trail: the account and its role.
    pub fn actor(&self) -> String {
        self.account.actor().to_string()
    }
    /// The caller as the use cases know it: the account and its reach on this route.
    pub fn who(&self) -> probity_app::Actor {
        probity_app::Actor::new(self.account.clone(), self.reach)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(ApiError::Unauthorized)
    }
}

/// The credential of an `Authorization: Bearer …` header.
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Resolves the caller from a bearer token or a session cookie, without deciding anything.
pub async fn identify(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Option<(Account, Credential)>, ApiError> {
    let app = state.app.clone();
    if let Some(token) = bearer(headers) {
        let key = format!("b:{token}");
        if let Some(hit) = state.identities.get(&key) {
            return Ok(Some(hit));
        }
        let token = token.to_string();
        let found =
            crate::extract::blocking(move || Ok(probity_app::session::by_token(&app, &token)?))
                .await?;
        return match found {
            Some(a) => {
                state.identities.put(key, a.clone(), Credential::Token);
                Ok(Some((a, Credential::Token)))
            }
            _ => Err(ApiError::Unauthorized),
        };
    }
    if let Some(token) = cookie_value(headers, SESSION_COOKIE) {
        let key = format!("s:{token}");
        if let Some(hit) = state.identities.get(&key) {
            return Ok(Some(hit));
        }
        let token = token.to_string();
        let idle = state.config.session_idle;
        let t = token.clone();
        let found =
            crate::extract::blocking(move || Ok(probity_app::session::by_session(&app, &t, idle)?))
                .await?;
        let found = found.map(|(a, s)| {
            (
                a,
                Credential::Session {
                    token,
                    csrf: s.csrf,
                },
            )
        });
        if let Some((a, c)) = &found {
            state.identities.put(key, a.clone(), c.clone());
        }
        return Ok(found);
    }
    Ok(None)
}

/// Who a bearer token or session cookie belongs to, remembered for a few seconds, so that a busy
/// client does not cost a database round trip per request. Logout forgets its session at once and
/// account changes made here forget everything; a token revoked or a role changed on another node
/// takes effect within `IDENTITY_TTL`.
pub struct IdentityCache {
    entries: Mutex<HashMap<String, (Account, Credential, Instant)>>,
}

pub const IDENTITY_TTL: Duration = Duration::from_secs(5);

impl IdentityCache {
    pub fn new() -> Self {
        IdentityCache {
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, key: &str) -> Option<(Account, Credential)> {
        let map = self.entries.lock().ok()?;
        let (a, c, at) = map.get(key)?;
        (at.elapsed() < IDENTITY_TTL).then(|| (a.clone(), c.clone()))
    }

    fn put(&self, key: String, account: Account, credential: Credential) {
        if let Ok(mut map) = self.entries.lock() {
            if map.len() > 10_000 {
                map.retain(|_, (_, _, at)| at.elapsed() < IDENTITY_TTL);
            }
            map.insert(key, (account, credential, Instant::now()));
        }
    }

    /// Forgets one session (logout).
    pub fn forget_session(&self, token: &str) {
        if let Ok(mut map) = self.entries.lock() {
            map.remove(&format!("s:{token}"));
        }
    }

    /// Forgets everyone (a role changed, a token was revoked, an account disabled).
    pub fn forget_all(&self) {
        if let Ok(mut map) = self.entries.lock() {
            map.clear();
        }
    }
}

impl Default for IdentityCache {
    fn default() -> Self {
        Self::new()
    }
}

/// The authorisation middleware: every request is looked up in `authz::TABLE` by its method and
/// route template. Public routes pass; the others need a caller whose role the table lists, and
/// a CSRF token when a cookie carries the session of a state-changing request.
pub async fn authorize(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let Some(path) = path else {
        return Ok(next.run(req).await);
    };
    // HEAD is GET without the body (axum answers it from the GET route): one row serves both,
    // so that a load balancer's HEAD probe is answered, not refused as an unknown route.
    let method = match *req.method() {
        Method::HEAD => "GET",
        ref m => m.as_str(),
    };
    let Some(rule) = authz::rule(method, &path) else {
        tracing::error!(method = %req.method(), %path, "route missing from the authorisation table");
        return Err(ApiError::Forbidden("该功能未开放".into()));
    };
    if rule.public {
        return Ok(next.run(req).await);
    }
    // Pages answer a browser in HTML (a login redirect, a Chinese 403 page); other clients of a
    // page route get the API's JSON errors.
    let page = crate::http::is_page_route(&path);
    let html = page && crate::http::wants_html(req.headers());
    let Some((account, credential)) = identify(&state, req.headers()).await? else {
        if html {
            return Ok(crate::http::login_redirect(req.method(), req.uri()));
        }
        return Err(ApiError::Unauthorized);
    };
    // A one-time password (set by an administrator) opens nothing but its own change, not even
    // second-factor enrolment: whoever set it cannot enrol in the holder's place.
    if account.password_change_required && !PASSWORD_ROUTES.contains(&path.as_str()) {
        if html {
            return Ok(axum::response::Redirect::to(crate::http::PASSWORD_PATH).into_response());
        }
        return Err(ApiError::Denied {
            status: axum::http::StatusCode::FORBIDDEN,
            code: "PASSWORD_CHANGE_REQUIRED",
            message: "请先修改初始密码（POST /api/v1/auth/password 或网页 /console/password），再使用其他功能".into(),
        });
    }
    // An account whose role needs a second factor and has none yet may only enrol one (or leave):
    // a password alone opens nothing else, on the pages or through the API.
    if account.totp_pending
        && path != crate::http::TOTP_PATH
        && !PASSWORD_ROUTES.contains(&path.as_str())
    {
        if html {
            return Ok(axum::response::Redirect::to(crate::http::TOTP_PATH).into_response());
        }
        return Err(ApiError::Denied {
            status: axum::http::StatusCode::FORBIDDEN,
            code: "TOTP_ENROLMENT_REQUIRED",
            message: "请先在网页上绑定动态口令（/console/totp），再使用其他功能".into(),
        });
    }
    let Some(reach) = authz::reach(rule, account.role) else {
        let message = format!("{}无权使用该功能", account.role.label());
        let (app, who, method) = (state.app.clone(), account.clone(), method.to_string());
        crate::extract::blocking(move || {
            Ok(probity_app::session::refused(&app, &who, &method, &path)?)
        })
        .await?;
        if html {
            return Ok(crate::http::error_page(
                axum::http::StatusCode::FORBIDDEN,
                &message,
            ));
        }
        return Err(ApiError::Forbidden(message));
    };
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // Page forms carry their CSRF token in a hidden field, checked by `pages::PageForm`.
    if let Credential::Session { csrf, .. } = &credential
        && unsafe_method
        && !page
        && path != "/api/v1/auth/logout"
    {
        let sent = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if !sent.is_some_and(|s| constant_time_eq(s.as_bytes(), csrf.as_bytes())) {
            return Err(ApiError::Csrf);
        }
    }
    req.extensions_mut().insert(Caller {
        account,
        credential,
        reach,
    });
    Ok(next.run(req).await)
}

/// What an account with a one-time password may reach; an account still enrolling its second
/// factor may reach these and the enrolment page.
const PASSWORD_ROUTES: [&str; 5] = [
    crate::http::PASSWORD_PATH,
    "/api/v1/auth/password",
    "/logout",
    "/api/v1/auth/logout",
    "/api/v1/auth/me",
];

/// The peer address of the connection, when the server was started with connect info (it always
/// is by `serve`; in-process tests without it share one key).
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// The client a login attempt counts against: the connection's peer address, or, when that peer
/// is one of the configured reverse proxies, the last address its `X-Forwarded-For` names (the one
/// the proxy itself added; earlier entries are whatever the client chose to send). The limiter is
/// a brake, not a wall; the lockout per account and client (and per account for second-factor
/// codes) is the wall.
pub fn client_key(headers: &HeaderMap, peer: PeerAddr, trusted_proxies: &[IpAddr]) -> String {
    let Some(ip) = peer.0 else {
        return "direct".to_string();
    };
    if trusted_proxies.contains(&ip)
        && let Some(forwarded) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .next_back()
    {
        return client_of(forwarded);
    }
    client_of(ip)
}

/// An address as a client: an IPv6 address stands for its /64, which one subscriber usually
/// holds whole, so that walking through it gains no fresh tries.
fn client_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Compares secrets (CSRF tokens, MACs) in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

/// Requests per client address (login attempts, public routes): a sliding window in memory,
/// estimated from two fixed windows (this one and the last, weighted by how much of the last still
/// overlaps), so that each check costs the same however many requests a client sends. In front of
/// the per-account lockout the store keeps, so that nobody can hammer the password check.
pub struct LoginLimiter {
    per_window: usize,
    window: Duration,
    hits: Mutex<HashMap<String, Counter>>,
}

/// Requests of one client in the current fixed window and the one before.
struct Counter {
    start: Instant,
    current: usize,
    previous: usize,
}

impl LoginLimiter {
    pub fn new(per_window: usize, window: Duration) -> Self {
        LoginLimiter {
            per_window,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Ok, or how many seconds to wait.
    pub fn check(&self, client: &str) -> Result<(), u64> {
        let now = Instant::now();
        let w = self.window.max(Duration::from_millis(1));
        let Ok(mut hits) = self.hits.lock() else {
            return Ok(());
        };
        if hits.len() > 10_000 {
            hits.retain(|_, c| now.duration_since(c.start) < w * 2);
        }
        let c = hits.entry(client.to_string()).or_insert(Counter {
            start: now,
            current: 0,
            previous: 0,
        });
        let elapsed = now.duration_since(c.start);
        if elapsed >= w {
            let periods = elapsed.as_nanos() / w.as_nanos();
            c.previous = if periods == 1 { c.current } else { 0 };
            c.current = 0;
            c.start += w * u32::try_from(periods).unwrap_or(u32::MAX);
        }
        let into = now.duration_since(c.start).as_secs_f64() / w.as_secs_f64();
        let estimate = c.previous as f64 * (1.0 - into) + c.current as f64;
        if estimate + 1.0 > self.per_window as f64 {
            return Err(w
                .saturating_sub(now.duration_since(c.start))
                .as_secs()
                .max(1));
        }
        c.current += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_forgets_old_windows_and_costs_the_same_however_busy() {
        let l = LoginLimiter::new(100_000, Duration::from_millis(50));
        let t = Instant::now();
        for _ in 0..50_000 {
            assert!(l.check("busy").is_ok());
        }
        assert!(t.elapsed() < Duration::from_secs(2), "O(1) per check");
        let l = LoginLimiter::new(2, Duration::from_millis(50));
        assert!(l.check("a").is_ok() && l.check("a").is_ok());
        assert!(l.check("a").is_err());
        std::thread::sleep(Duration::from_millis(120));
        assert!(l.check("a").is_ok(), "two windows later the count is gone");
    }

    #[test]
    fn limiter_blocks_after_the_window_is_full() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(l.check("1.2.3.4").is_ok());
        }
        assert!(l.check("1.2.3.4").is_err());
        assert!(l.check("5.6.7.8").is_ok());
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        let peer = |s: &str| PeerAddr(Some(s.parse().unwrap()));
        let h = HeaderMap::new();
        assert_eq!(
            client_key(&h, peer("2001:db8:1:2:aaaa::1"), &[]),
            client_key(&h, peer("2001:db8:1:2:bbbb::9"), &[])
        );
        assert_ne!(
            client_key(&h, peer("2001:db8:1:2::1"), &[]),
            client_key(&h, peer("2001:db8:1:3::1"), &[])
        );
        assert_eq!(client_key(&h, peer("::ffff:10.0.0.1"), &[]), "10.0.0.1");
        assert_eq!(client_key(&h, peer("10.0.0.1"), &[]), "10.0.0.1");
    }

    #[test]
    fn client_key_trusts_forwarded_for_only_from_configured_proxies() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 10.1.2.3".parse().unwrap());
        let proxy: IpAddr = "192.168.0.1".parse().unwrap();
        let peer = |ip: &str| PeerAddr(Some(ip.parse().unwrap()));
        // A client talking directly cannot choose its key by sending the header.
        assert_eq!(client_key(&h, peer("8.8.8.8"), &[proxy]), "8.8.8.8");
        assert_eq!(client_key(&h, peer("8.8.8.8"), &[]), "8.8.8.8");
        // Behind the proxy, the address the proxy appended counts, not what the client prepended.
        assert_eq!(client_key(&h, peer("192.168.0.1"), &[proxy]), "10.1.2.3");
        h.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client_key(&h, peer("192.168.0.1"), &[proxy]), "192.168.0.1");
        assert_eq!(
            client_key(&HeaderMap::new(), PeerAddr(None), &[proxy]),
            "direct"
        );
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; probity_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie_value(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie_value(&h, "zzz"), None);
    }
}
