//! The platform the assessment, dispute, eligibility, sanction and case tests drive: the router
//! of `probity_web::app_on` on a loopback port, on the use cases of an `App` whose clock the test
//! holds (and may move), on a thread of its own with its own tokio runtime, stopped when dropped;
//! and the small pieces their requests share (a day, a session on the platform's clock, a
//! session's cookie and CSRF header, an answer read as JSON).

use std::sync::Arc;

use chrono::NaiveDate;
use probity_domain::account::AccountRole;
use probity_domain::ident::IdNumber;
use probity_domain::subject::RosterRow;
use probity_search::SearchIndex;
use probity_store::Store;
use probity_testkit::Accounts;
use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::Value;

/// `YYYY-MM-DD`.
pub(crate) fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// The use cases on `store`, with a clock standing on `today` (Beijing).
pub(crate) fn app_on_day(store: &Store, today: &str) -> probity_app::App {
    probity_app::App::new(
        store.clone(),
        probity_app::Clock::on_beijing_day(day(today)),
    )
}

/// A fresh, empty in-memory search index.
pub(crate) fn empty_index() -> Arc<SearchIndex> {
    Arc::new(SearchIndex::in_memory().unwrap())
}

/// A client that follows no redirect: a form's answer is its 303.
pub(crate) fn client_without_redirects() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A session of `role`'s account of `accounts`, opened on the app's clock for eight hours: its
/// token and CSRF token.
pub(crate) fn session(
    store: &Store,
    app: &probity_app::App,
    accounts: &Accounts,
    role: AccountRole,
) -> (String, String) {
    let id = accounts.account(store, role).id;
    let s = store
        .create_session(id, chrono::TimeDelta::hours(8), app.now())
        .unwrap();
    (s.token, s.csrf)
}

/// A request sent with a session's cookie and its CSRF token as the header.
pub(crate) fn with_session(b: RequestBuilder, (token, csrf): &(String, String)) -> RequestBuilder {
    b.header("cookie", format!("probity_session={token}"))
        .header("x-csrf-token", csrf)
}

/// An answer's status and body, as JSON where it is JSON and as a string otherwise.
pub(crate) fn json_of(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().unwrap();
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, v)
}

/// The router of `probity_web::app_on` on a loopback port, serving `app` with `index`.
pub(crate) struct Served {
    /// `http://127.0.0.1:<port>`.
    pub(crate) base: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Served {
    pub(crate) fn start(app: &probity_app::App, index: Arc<SearchIndex>) -> Served {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served_app = app.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let (router, _) = probity_web::app_on(
                    served_app,
                    probity_web::WebConfig::default(),
                    probity_web::PagesConfig::default(),
                    index,
                );
                // Client addresses reach the handlers as under `serve` (the limits count per
                // client).
                let svc = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
                axum::serve(listener, svc)
                    .with_graceful_shutdown(async move {
                        let _ = rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        Served {
            base,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Sets the app's clock to noon of `d` in Beijing.
pub(crate) fn set_noon(app: &probity_app::App, d: &str) {
    use chrono::TimeZone;
    let noon = chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .from_local_datetime(&day(d).and_hms_opt(12, 0, 0).unwrap())
        .unwrap();
    app.clock().set(noon.with_timezone(&chrono::Utc));
}

/// A browser on `base` logged in as `role`'s account of `accounts`, with a session opened on the
/// app's clock (open one again after moving the clock).
pub(crate) fn browser_on_clock(
    base: &str,
    store: &Store,
    app: &probity_app::App,
    accounts: &Accounts,
    role: AccountRole,
) -> probity_testkit::Browser {
    let (token, _) = session(store, app, accounts, role);
    let mut b = probity_testkit::Browser::new(base);
    b.cookies.push(("probity_session".into(), token));
    b
}

/// A request for `path` on `base`: a GET, a PUT or (any other method) a POST, with `body` as
/// JSON when there is one.
pub(crate) fn request(
    client: &Client,
    base: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> RequestBuilder {
    let url = format!("{base}{path}");
    let b = match method {
        "GET" => client.get(url),
        "PUT" => client.put(url),
        _ => client.post(url),
    };
    match body {
        Some(v) => b.json(&v),
        None => b,
    }
}

/// A civil servant (公务员, 科员) of 新河街道, as the roster names them.
pub(crate) fn civil_servant(name: &str, id: &IdNumber) -> RosterRow {
    RosterRow {
        name: name.into(),
        kind: "公务员".into(),
        id_number: id.as_str().into(),
        unit: "新河街道".into(),
        position: "科员".into(),
        ..Default::default()
    }
}

/// Imports `rows` into the roster as the lines of a sheet from its second on; none is refused.
pub(crate) fn import_rows(store: &Store, rows: Vec<RosterRow>) {
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| (i + 2, row.validate(false).unwrap()))
        .collect();
    let report = store.import_roster(rows, "test").unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
}

/// The district's development and reform commission (区发展改革委), which the small roster lacks:
/// it files the draft record a founded complaint raises.
pub(crate) fn reform_commission() -> RosterRow {
    RosterRow {
        name: "天津市滨海新区发展和改革委员会".into(),
        short_name: "区发展改革委".into(),
        kind: "部门".into(),
        uscc: probity_testkit::roster::uscc("WB000006"),
        parent: "区政府".into(),
        ..Default::default()
    }
}
