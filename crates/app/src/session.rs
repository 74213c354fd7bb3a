//! Who is at the keyboard: logging in and out, the session or token behind a request, the own
//! password (修改密码) and second-factor enrolment. One login rule for the pages and the API.

use chrono::TimeDelta;
use probity_store::{Account, NewSession, Session, TotpEnrolment};

use crate::{App, AppResult};

/// A login attempt.
#[derive(Debug, Clone, Copy)]
pub struct Login<'a> {
    pub name: &'a str,
    pub password: &'a str,
    /// The six-digit code of the authenticator app (blank counts as none).
    pub totp: Option<&'a str>,
    /// The client the attempt counts against (address or /64), for the lockout.
    pub client: &'a str,
    /// The session this client already holds, if any: it ends when the client logs in again
    /// (as anyone), so that one browser never holds two sessions.
    pub previous_session: Option<&'a str>,
    /// How long the new session lives at most.
    pub ttl: TimeDelta,
}

/// A successful login (or password change): the account and its new session.
#[derive(Debug)]
pub struct LoggedIn {
    pub account: Account,
    pub session: NewSession,
}

/// Logs in: checks the password (and the second factor where the role needs one) against the
/// lockout of this account and client, ends the client's previous session, opens a new one.
pub fn login(app: &App, l: Login<'_>) -> AppResult<LoggedIn> {
    let store = app.store();
    let now = app.now();
    let totp = l.totp.map(str::trim).filter(|t| !t.is_empty());
    let account = store.login_from(l.name, l.password, totp, l.client, now)?;
    if let Some(old) = l.previous_session {
        store.end_session(old)?;
    }
    let session = store.create_session(account.id, l.ttl, now)?;
    Ok(LoggedIn { account, session })
}

/// Logs out: the session ends, journaled as the account's logout.
pub fn logout(app: &App, session_token: &str) -> AppResult<()> {
    Ok(app.store().logout(session_token)?)
}

/// Journals a request refused because the account's role may not use the function at `path`
/// (the route template, so that one refusal reads the same whatever id was asked for).
pub fn refused(app: &App, account: &Account, method: &str, path: &str) -> AppResult<()> {
    Ok(app.store().journal_refusal(account, method, path)?)
}

/// The account behind a bearer token, if the token is live and the account enabled.
pub fn by_token(app: &App, token: &str) -> AppResult<Option<Account>> {
    Ok(app
        .store()
        .token_account(token, app.now())?
        .filter(|a| !a.disabled))
}

/// The account and session behind a session token, if the session is live (not past its end,
/// not idle for `idle`) and the account enabled.
pub fn by_session(
    app: &App,
    token: &str,
    idle: TimeDelta,
) -> AppResult<Option<(Account, Session)>> {
    Ok(app
        .store()
        .session(token, app.now(), idle)?
        .filter(|(a, _)| !a.disabled))
}

/// Changes one's own password, giving the current one (required first after a one-time
/// password). Every session of the account ends; a new one opens for the client that asked.
pub fn change_password(
    app: &App,
    account_id: i64,
    current: &str,
    new: &str,
    client: &str,
    ttl: TimeDelta,
) -> AppResult<LoggedIn> {
    let store = app.store();
    let now = app.now();
    let account = store.change_password(account_id, current, new, client, now)?;
    let session = store.create_session(account.id, ttl, now)?;
    Ok(LoggedIn { account, session })
}

/// Starts second-factor enrolment: a fresh secret each time, only the latest can be confirmed.
pub fn begin_totp(app: &App, account_id: i64) -> AppResult<TotpEnrolment> {
    Ok(app.store().begin_totp(account_id)?)
}

/// Confirms enrolment with a code from the authenticator app: the second factor is on.
pub fn confirm_totp(app: &App, account_id: i64, code: &str) -> AppResult<()> {
    Ok(app
        .store()
        .confirm_totp(account_id, code.trim(), app.now())?)
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use probity_domain::account::AccountRole;
    use probity_store::{Clock, Keys, Store};

    use super::*;

    const PASSWORD: &str = "Zhengwu-2026-chengxin";

    fn app_at(clock: &Clock) -> App {
        let store = Store::open_with_clock(
            "sqlite::memory:",
            Keys::from_master(&[5u8; 32]),
            clock.clone(),
        )
        .unwrap();
        store
            .create_account("wang", AccountRole::Hr, None, PASSWORD, "cli:test")
            .unwrap();
        App::new(store, clock.clone())
    }

    fn login<'a>(previous: Option<&'a str>) -> Login<'a> {
        Login {
            name: "wang",
            password: PASSWORD,
            totp: Some("  "),
            client: "10.0.0.1",
            previous_session: previous,
            ttl: TimeDelta::hours(8),
        }
    }

    /// One login rule for the pages and the API: logging in again from a client ends the session
    /// that client held.
    #[test]
    fn a_second_login_from_a_client_ends_its_first_session() {
        let clock = Clock::on_beijing_day(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let app = app_at(&clock);
        let first = super::login(&app, login(None)).unwrap();
        let idle = TimeDelta::minutes(30);
        assert!(
            by_session(&app, &first.session.token, idle)
                .unwrap()
                .is_some()
        );
        let second = super::login(&app, login(Some(&first.session.token))).unwrap();
        assert!(
            by_session(&app, &first.session.token, idle)
                .unwrap()
                .is_none()
        );
        assert!(
            by_session(&app, &second.session.token, idle)
                .unwrap()
                .is_some()
        );
    }

    /// The clock decides: a session idle past its limit ends, without a test that sleeps.
    #[test]
    fn an_idle_session_ends_by_the_apps_clock() {
        let clock = Clock::on_beijing_day(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let app = app_at(&clock);
        let s = super::login(&app, login(None)).unwrap().session;
        let idle = TimeDelta::minutes(30);
        clock.advance(TimeDelta::minutes(29));
        assert!(by_session(&app, &s.token, idle).unwrap().is_some());
        clock.advance(TimeDelta::minutes(31));
        assert!(by_session(&app, &s.token, idle).unwrap().is_none());
        // The store wrote the account's creation at the clock's time, not the system's.
        let created = &app.store().journal_page(0, 10).unwrap()[0..1];
        assert!(
            created[0].at.starts_with("2026-12-01T02:00:00"),
            "{created:?}"
        );
        // A wrong password is a typed refusal, not a failure.
        let wrong = super::login(
            &app,
            Login {
                password: "nope",
                ..login(None)
            },
        );
        assert!(matches!(wrong, Err(crate::AppError::Login(_))));
    }
}
