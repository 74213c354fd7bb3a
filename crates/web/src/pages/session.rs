//! Logging in and out, second-factor enrolment, and the 工作台 each role starts from.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use probity_domain::account::AccountRole;
use probity_store::LoginError;
use serde::Deserialize;

use super::kit::{Ctx, Empty, Layout, PageForm};
use crate::AppState;
use crate::auth::{Credential, SESSION_COOKIE, constant_time_eq, cookie_value};
use crate::error::ApiError;
use crate::extract::blocking;
use crate::http::{FLASH_COOKIE, PageResult, done, safe_next};

/// The login form's CSRF token lives in its own cookie until there is a session (double submit).
const LOGIN_CSRF_COOKIE: &str = "probity_login_csrf";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/console", get(dashboard))
        .route(crate::http::TOTP_PATH, get(totp_page).post(totp_confirm))
        .route(
            crate::http::PASSWORD_PATH,
            get(password_page).post(password_change),
        )
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginTpl {
    l: Layout,
    name: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn login_form(
    status: StatusCode,
    name: &str,
    next: &str,
    error: Option<String>,
    flash: Option<String>,
) -> PageResult {
    let csrf = crate::http::random_hex()?;
    let mut l = Layout::anonymous("登录");
    l.csrf = csrf.clone();
    l.flash = flash;
    let t = LoginTpl {
        l,
        name: name.to_string(),
        next: next.to_string(),
        error,
    };
    let mut res = (status, crate::http::html(&t)).into_response();
    for c in [
        format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600"),
        format!("{FLASH_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

async fn login_page(
    headers: HeaderMap,
    crate::http::PageQuery(q): crate::http::PageQuery<NextQuery>,
) -> PageResult {
    let flash = crate::http::read_flash(&headers);
    let next = safe_next(q.next.as_deref().unwrap_or("/console")).to_string();
    login_form(StatusCode::OK, "", &next, None, flash)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
    #[serde(default)]
    next: String,
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: crate::auth::PeerAddr,
    axum::Form(f): axum::Form<LoginForm>,
) -> PageResult {
    let next = safe_next(&f.next).to_string();
    let sent_ok = cookie_value(&headers, LOGIN_CSRF_COOKIE)
        .is_some_and(|c| !c.is_empty() && constant_time_eq(c.as_bytes(), f.csrf.as_bytes()));
    if !sent_ok {
        return Ok(crate::http::error_page(
            StatusCode::FORBIDDEN,
            &ApiError::Csrf.detail().message,
        ));
    }
    if let Err(wait) = state.login_limiter.check(&crate::auth::client_key(
        &headers,
        peer,
        &state.config.trusted_proxies,
    )) {
        let msg = format!("登录尝试过于频繁，请 {wait} 秒后再试");
        return login_form(
            StatusCode::TOO_MANY_REQUESTS,
            &f.name,
            &next,
            Some(msg),
            None,
        );
    }
    let client = crate::auth::client_key(&headers, peer, &state.config.trusted_proxies);
    let app = state.app.clone();
    let ttl = state.config.session_ttl;
    let (name, password, totp) = (f.name.clone(), f.password.clone(), f.totp.clone());
    // A session this browser already holds ends when it logs in again (as anyone).
    let previous = cookie_value(&headers, SESSION_COOKIE).map(str::to_string);
    if let Some(old) = &previous {
        state.identities.forget_session(old);
    }
    let outcome = blocking(move || {
        match probity_app::session::login(
            &app,
            probity_app::session::Login {
                name: &name,
                password: &password,
                totp: Some(&totp),
                client: &client,
                previous_session: previous.as_deref(),
                ttl,
            },
        ) {
            Ok(done) => Ok(Ok(done)),
            Err(probity_app::AppError::Login(e)) => Ok(Err(e)),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    let probity_app::session::LoggedIn { account, session } = match outcome {
        Ok(v) => v,
        Err(e) => {
            let status = match e {
                LoginError::Disabled => StatusCode::FORBIDDEN,
                _ => StatusCode::UNAUTHORIZED,
            };
            return login_form(status, &f.name, &next, Some(e.message()), None);
        }
    };
    let to = if account.password_change_required {
        crate::http::PASSWORD_PATH.to_string()
    } else if account.totp_pending {
        crate::http::TOTP_PATH.to_string()
    } else {
        next
    };
    let mut res = Redirect::to(&to).into_response();
    let cookie = crate::auth::session_cookie(&state.config, &session.token);
    for c in [
        cookie,
        format!("{LOGIN_CSRF_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0"),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

async fn logout(State(state): State<AppState>, p: PageForm<Empty>) -> PageResult {
    if let Credential::Session { token, .. } = p.ctx.caller.credential {
        let app = state.app.clone();
        state.identities.forget_session(&token);
        blocking(move || Ok(probity_app::session::logout(&app, &token)?)).await?;
    }
    let mut res = done("/login", "已退出登录");
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
    )) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// One tile of the 工作台.
pub struct Tile {
    pub href: String,
    pub label: String,
    pub count: Option<String>,
}

#[derive(Template)]
#[template(path = "console.html")]
struct ConsoleTpl {
    l: Layout,
    tiles: Vec<Tile>,
    /// The 待办 panel: what waits for this official, from the data.
    todo: Vec<probity_app::dashboard::TodoItem>,
    /// The account waits for the security administrator to grant it a role.
    unassigned: bool,
}

/// How far a tile counts before it says "N+".
const TILE_COUNT_CAP: u32 = 10_000;

async fn dashboard(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    use probity_app::dashboard::Dashboard;
    let app = state.app.clone();
    let role = ctx.role();
    let who = ctx.caller.who();
    let tile = |href: &str, label: &str, count: Option<String>| Tile {
        href: href.to_string(),
        label: label.to_string(),
        count,
    };
    let counted = |n: u64| Some(super::kit::count_text(n, TILE_COUNT_CAP));
    let (board, todo) = blocking(move || {
        Ok((
            probity_app::dashboard::of(&app, &who, TILE_COUNT_CAP)?,
            probity_app::dashboard::todo(&app, &who, TILE_COUNT_CAP)?,
        ))
    })
    .await?;
    let tiles = match board {
        Dashboard::Provider {
            drafts,
            sent_back,
            submitted,
            active,
        } => vec![
            tile(
                "/console/records?state=sent_back",
                "已退回",
                counted(sent_back),
            ),
            tile("/console/records?state=draft", "草稿", counted(drafts)),
            tile(
                "/console/records?state=submitted",
                "待审核",
                counted(submitted),
            ),
            tile("/console/records?state=active", "已生效", counted(active)),
            tile("/console/records/new", "填报一条记录", None),
            tile("/console/upload", "上传 Excel/CSV 批量导入", None),
        ],
        Dashboard::CreditOffice {
            submitted,
            records,
            subjects,
            categories,
        } => vec![
            tile("/console/review", "待审核记录", counted(submitted)),
            tile(
                "/console/records",
                "全部信用记录",
                Some(records.to_string()),
            ),
            tile("/console/subjects", "主体名录", Some(subjects.to_string())),
            tile(
                "/console/catalog",
                "信用信息目录",
                Some(categories.to_string()),
            ),
        ],
        Dashboard::Unit { own_file } => vec![
            tile(
                "/console/file",
                "本单位信用档案（记录数）",
                Some(own_file.to_string()),
            ),
            tile("/console/sanctions/measures", "本单位奖惩措施", None),
        ],
        Dashboard::Administrator { accounts } => {
            vec![tile(
                "/console/accounts",
                "账号",
                Some(accounts.to_string()),
            )]
        }
        Dashboard::Auditor { head_seq, accounts } => vec![
            tile(
                "/console/audit",
                "审计日志（最新序号）",
                Some(head_seq.to_string()),
            ),
            tile("/console/accounts", "账号", Some(accounts.to_string())),
        ],
        Dashboard::Nothing if role == AccountRole::Hr => {
            vec![
                tile("/console/personnel", "公务员信用记录", None),
                tile("/console/eligibility", "优秀等次资格核查", None),
            ]
        }
        Dashboard::Nothing => vec![],
    };
    Ok(ctx.page(&ConsoleTpl {
        l: ctx.layout("工作台"),
        tiles,
        todo,
        unassigned: role == AccountRole::Unassigned,
    }))
}

#[derive(Template)]
#[template(path = "totp.html")]
struct TotpTpl {
    l: Layout,
    secret: String,
    url: String,
    /// The otpauth address as a QR code (SVG, drawn here from that address alone), for the
    /// authenticator app to scan; empty if it could not be drawn (the secret is still shown).
    qr: String,
    error: Option<String>,
}

async fn totp_page(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    totp_render(&state, &ctx, None, StatusCode::OK).await
}

async fn totp_render(
    state: &AppState,
    ctx: &Ctx,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    if !ctx.caller.account.totp_pending {
        return Ok(Redirect::to("/console").into_response());
    }
    let app = state.app.clone();
    let id = ctx.caller.account.id;
    // A fresh secret each time the page is shown: only the one on screen can be confirmed.
    let e = blocking(move || Ok(probity_app::session::begin_totp(&app, id)?)).await?;
    let mut res = ctx.page(&TotpTpl {
        l: ctx.layout("绑定动态口令"),
        qr: crate::http::qr_svg(&e.otpauth_url),
        secret: e.secret_base32,
        url: e.otpauth_url,
        error,
    });
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Deserialize)]
struct TotpForm {
    #[serde(default)]
    code: String,
}

async fn totp_confirm(State(state): State<AppState>, p: PageForm<TotpForm>) -> PageResult {
    let app = state.app.clone();
    let id = p.ctx.caller.account.id;
    let code = p.form.code.trim().to_string();
    let r = blocking(move || Ok(probity_app::session::confirm_totp(&app, id, &code))).await?;
    match r {
        Ok(()) => {
            // The remembered identity still says "second factor pending": forget it.
            if let Credential::Session { token, .. } = &p.ctx.caller.credential {
                state.identities.forget_session(token);
            }
            Ok(done(
                "/console",
                "已启用动态口令，今后登录请同时输入动态口令",
            ))
        }
        Err(probity_app::AppError::Domain(d)) => {
            totp_render(
                &state,
                &p.ctx,
                Some(d.message),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// 修改密码

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordTpl {
    l: Layout,
    /// The password is a one-time password: say why this page comes first.
    required: bool,
    errors: Vec<String>,
}

async fn password_page(ctx: Ctx) -> PageResult {
    Ok(password_render(&ctx, vec![], StatusCode::OK))
}

fn password_render(ctx: &Ctx, errors: Vec<String>, status: StatusCode) -> Response {
    let mut res = ctx.page(&PasswordTpl {
        l: ctx.layout("修改密码"),
        required: ctx.caller.account.password_change_required,
        errors,
    });
    *res.status_mut() = status;
    res
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// Changes the caller's own password. Every problem of the form is named at once; on success
/// the browser gets a new session (the change ended every session of the account) and goes on
/// to second-factor enrolment where the role needs one.
async fn password_change(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: crate::auth::PeerAddr,
    p: PageForm<PasswordForm>,
) -> PageResult {
    let PageForm { ctx, form } = p;
    let mut errors = Vec::new();
    if form.current.is_empty() {
        errors.push("请填写原密码（或管理员告知的一次性密码）".to_string());
    }
    if form.new != form.confirm {
        errors.push("两次输入的新密码不一致".to_string());
    }
    if let Err(e) = probity_domain::account::check_password(&form.new, &ctx.caller.account.name) {
        errors.push(e.message);
    }
    if !errors.is_empty() {
        return Ok(password_render(
            &ctx,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let client = crate::auth::client_key(&headers, peer, &state.config.trusted_proxies);
    let app = state.app.clone();
    let ttl = state.config.session_ttl;
    let id = ctx.caller.account.id;
    let outcome = blocking(move || {
        match probity_app::session::change_password(
            &app,
            id,
            &form.current,
            &form.new,
            &client,
            ttl,
        ) {
            Ok(done) => Ok(Ok((done.account, done.session))),
            Err(probity_app::AppError::Domain(d)) => Ok(Err(d.message)),
            Err(e) => Err(e.into()),
        }
    })
    .await?;
    let (account, session) = match outcome {
        Ok(v) => v,
        Err(message) => {
            return Ok(password_render(
                &ctx,
                vec![message],
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    if let Credential::Session { token, .. } = &ctx.caller.credential {
        state.identities.forget_session(token);
    }
    let to = if account.totp_pending {
        crate::http::TOTP_PATH
    } else {
        "/console"
    };
    let mut res = done(to, "密码已修改，其他设备上的登录已退出");
    let cookie = crate::auth::session_cookie(&state.config, &session.token);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}
