//! E-mail notifications (邮件通知) against an SMTP listener the test starts, on both databases:
//! who gets a notification's mail, what it says, that nothing is mailed twice, that a server
//! that is down keeps the notification for a later round, and that one refused address holds up
//! nobody else.

use std::collections::BTreeSet;
use std::sync::Mutex;

use chrono::NaiveDate;
use probity_app::accounts::{Change, NewAccount};
use probity_app::mail::{self, MailConfig, Outgoing, Round, SendFailure, Smtp, Transport};
use probity_app::{App, Clock};
use probity_domain::account::AccountRole;
use probity_domain::case::complaint::ComplaintInput;
use probity_store::Store;
use probity_testkit::{SmtpServer, TestStore, backends, roster};

const OPERATOR: &str = "cli:test";
const FROM: &str = "政务诚信信息平台 <xyb@binhai.gov.cn>";
const PORTAL: &str = "https://xy.binhai.gov.cn";

/// The accounts of the roster that have an address, and some that must get nothing.
struct Fx {
    name: &'static str,
    app: App,
    /// The store on the app's clock, for writing notifications as the cases do.
    store: Store,
    finance: i64,
    _ts: TestStore,
}

fn account(app: &App, name: &str, role: AccountRole, unit: Option<&str>, email: &str) -> i64 {
    let new = NewAccount {
        name: name.into(),
        email: email.into(),
        ..Default::default()
    };
    let (a, _, _) =
        probity_app::accounts::create_with_role(app, OPERATOR, &new, role, unit, None).unwrap();
    a.id
}

fn fixture(ts: TestStore) -> Fx {
    roster::binhai(&ts.store);
    let clock = Clock::on_beijing_day(NaiveDate::from_ymd_opt(2026, 3, 5).unwrap());
    let app = App::new(ts.store.clone(), clock.clone());
    let p = AccountRole::Provider;
    // The finance bureau: two with an address (one typed with capitals), one without, one
    // disabled.
    account(
        &app,
        "fin.one",
        p,
        Some("区财政局"),
        "fin.one@binhai.gov.cn",
    );
    account(
        &app,
        "fin.two",
        p,
        Some("区财政局"),
        " fin.two@BINHAI.gov.cn ",
    );
    account(&app, "fin.none", p, Some("区财政局"), "");
    let off = account(
        &app,
        "fin.off",
        p,
        Some("区财政局"),
        "fin.off@binhai.gov.cn",
    );
    probity_app::accounts::change(&app, OPERATOR, off, Change::Disable).unwrap();
    // Other units' accounts and roles that read no notifications.
    account(
        &app,
        "court.one",
        p,
        Some("区法院"),
        "court.one@binhai.gov.cn",
    );
    let u = AccountRole::Unit;
    account(
        &app,
        "town.one",
        u,
        Some("新河街道"),
        "town.one@binhai.gov.cn",
    );
    account(
        &app,
        "sys.one",
        AccountRole::Sysadmin,
        None,
        "sys.one@binhai.gov.cn",
    );
    account(
        &app,
        "hr.one",
        AccountRole::Hr,
        None,
        "hr.one@binhai.gov.cn",
    );
    // The credit office: one with an address, one without, one disabled.
    let a = AccountRole::Admin;
    account(&app, "xyb.one", a, None, "xyb.one@binhai.gov.cn");
    account(&app, "xyb.none", a, None, "");
    let off = account(&app, "xyb.off", a, None, "xyb.off@binhai.gov.cn");
    probity_app::accounts::change(&app, OPERATOR, off, Change::Disable).unwrap();
    let finance = ts.store.find_unit("区财政局").unwrap().id;
    Fx {
        name: ts.name,
        store: ts.store.with_clock(clock),
        app,
        finance,
        _ts: ts,
    }
}

/// Every backend's fixture, one after the other.
fn each(tag: &str, test: impl Fn(&Fx)) {
    for ts in backends(tag) {
        test(&fixture(ts));
    }
}

/// A notification for `unit` (None: the credit office), as the cases write it.
fn notify(fx: &Fx, unit: Option<i64>, case: Option<i64>, message: &str) -> i64 {
    fx.store
        .write(|tx| tx.cases().notify(unit, case, message))
        .unwrap()
}

/// A real case to link to: a complaint about 新河街道, which also notifies the credit office.
fn complaint(fx: &Fx) -> (i64, String) {
    let filed = probity_app::cases::file_complaint(
        &fx.app,
        None,
        &ComplaintInput {
            subject: "新河街道".into(),
            content: "街道办事处拖欠施工单位工程款，多次催要无果。".into(),
            channel: "web".into(),
            ..Default::default()
        },
    )
    .unwrap();
    (filed.case.id, filed.tracking_no)
}

fn config(server_url: &str) -> MailConfig {
    MailConfig::new(server_url, FROM, Some(PORTAL)).unwrap()
}

fn deliver(fx: &Fx, config: &MailConfig) -> Round {
    let smtp = Smtp::new(config).unwrap();
    mail::deliver(&fx.app, &smtp, config.public_url()).unwrap()
}

fn recipients(got: &[probity_testkit::Received]) -> BTreeSet<String> {
    got.iter().flat_map(|m| m.to.iter().cloned()).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn an_old_backlog_is_not_mailed_when_mail_is_first_configured() {
    each("mail_backlog", |fx| {
        let n = fx.name;
        let server = SmtpServer::start();
        let c = config(&server.url());
        notify(fx, Some(fx.finance), None, "旧通知：配置邮件之前写下的通知");
        let r = deliver(fx, &c);
        assert_eq!((r.notifications, r.sent), (0, 0), "[{n}] {r:?}");
        assert!(server.received().is_empty(), "[{n}]");
        // What comes after is mailed.
        notify(fx, Some(fx.finance), None, "新通知：配置邮件之后的通知");
        let r = deliver(fx, &c);
        assert_eq!((r.notifications, r.sent), (1, 2), "[{n}] {r:?}");
        let got = server.received();
        assert!(got.iter().all(|m| m.text().starts_with("新通知")), "[{n}]");
    });
}

#[test]
fn a_units_notification_reaches_its_accounts_with_an_address_and_nobody_else() {
    each("mail_unit", |fx| {
        let n = fx.name;
        let server = SmtpServer::start();
        let c = config(&server.url());
        assert_eq!(deliver(fx, &c), Round::default(), "[{n}] nothing yet");
        let (case, _) = complaint(fx);
        deliver(fx, &c);
        server.take(); // the complaint's own mail, to the credit office
        let message = "收到异议：津滨财罚〔2026〕1号，请于 2026年3月19日 前答复";
        let id = notify(fx, Some(fx.finance), Some(case), message);
        let r = deliver(fx, &c);
        assert_eq!(
            (r.notifications, r.sent, r.rejected, r.failure.as_deref()),
            (1, 2, 0, None),
            "[{n}] {r:?}"
        );
        let got = server.received();
        assert_eq!(
            recipients(&got),
            set(&["fin.one@binhai.gov.cn", "fin.two@binhai.gov.cn"]),
            "[{n}] the finance bureau's enabled accounts with an address, the domain in lower case"
        );
        for m in &got {
            assert_eq!(m.to.len(), 1, "[{n}] one message per recipient");
            assert_eq!(m.from, "xyb@binhai.gov.cn", "[{n}]");
            assert_eq!(
                m.subject(),
                format!("【政务诚信信息平台】收到异议（案件 #{case}）"),
                "[{n}]"
            );
            let text = m.text();
            assert!(text.starts_with(message), "[{n}] {text}");
            assert!(
                text.contains(&format!("{PORTAL}/console/cases/{case}")),
                "[{n}] {text}"
            );
            assert!(text.contains("2026-03-05 10:00"), "[{n}] {text}");
            assert!(
                m.decoded_header("From")
                    .unwrap()
                    .contains("政务诚信信息平台"),
                "[{n}]"
            );
            assert!(
                m.header("To").unwrap().contains(&m.to[0]),
                "[{n}] the header names the recipient alone"
            );
            assert!(
                m.header("Date").unwrap().contains("5 Mar 2026"),
                "[{n}] the platform's clock"
            );
            assert!(
                m.header("Message-ID")
                    .unwrap()
                    .contains(&format!("notification-{id}-")),
                "[{n}]"
            );
        }
        // A second round sends nothing again.
        let r = deliver(fx, &c);
        assert_eq!((r.notifications, r.sent), (0, 0), "[{n}] {r:?}");
        assert_eq!(server.received().len(), 2, "[{n}]");
    });
}

#[test]
fn the_credit_offices_notifications_reach_its_accounts() {
    each("mail_office", |fx| {
        let n = fx.name;
        let server = SmtpServer::start();
        let c = config(&server.url());
        deliver(fx, &c);
        let (case, tracking_no) = complaint(fx);
        let r = deliver(fx, &c);
        assert_eq!((r.notifications, r.sent), (1, 1), "[{n}] {r:?}");
        let got = server.received();
        assert_eq!(
            recipients(&got),
            set(&["xyb.one@binhai.gov.cn"]),
            "[{n}] the enabled credit office accounts with an address only"
        );
        let subject = got[0].subject();
        assert!(
            subject.starts_with(&format!("【政务诚信信息平台】收到投诉 {tracking_no}")),
            "[{n}] {subject}"
        );
        assert!(
            subject.ends_with(&format!("（案件 #{case}）")),
            "[{n}] {subject}"
        );
        let text = got[0].text();
        assert!(
            text.contains("请于") && text.contains("前转办"),
            "[{n}] {text}"
        );
        assert!(
            text.contains(&format!("{PORTAL}/console/cases/{case}")),
            "[{n}] {text}"
        );
    });
}

#[test]
fn an_unreachable_server_keeps_the_notification_for_a_later_round() {
    each("mail_down", |fx| {
        let n = fx.name;
        let server = SmtpServer::start();
        let c = config(&server.url());
        deliver(fx, &c);
        // The server goes down: its port refuses connections.
        let port = server.stop();
        notify(fx, Some(fx.finance), None, "第一条：服务器停机时写下");
        let r = deliver(fx, &c);
        assert_eq!((r.notifications, r.sent), (0, 0), "[{n}] {r:?}");
        assert!(r.failure.is_some(), "[{n}] {r:?}");
        assert!(r.to_string().contains("下次重试"), "[{n}] {r}");
        notify(fx, Some(fx.finance), None, "第二条：仍在停机");
        let r = deliver(fx, &c);
        assert!(r.failure.is_some(), "[{n}] still down: {r:?}");
        // Back up on the same port: both go, in order, once each.
        let server = SmtpServer::start_on(port);
        let r = deliver(fx, &c);
        assert_eq!(
            (r.notifications, r.sent, r.failure.as_deref()),
            (2, 4, None),
            "[{n}] {r:?}"
        );
        let firsts: Vec<String> = server
            .received()
            .iter()
            .map(|m| m.text().chars().take(3).collect())
            .collect();
        assert_eq!(firsts, ["第一条", "第一条", "第二条", "第二条"], "[{n}]");
        assert_eq!(deliver(fx, &c).sent, 0, "[{n}]");
    });
}

#[test]
fn a_refused_address_does_not_hold_up_the_others() {
    each("mail_refused", |fx| {
        let n = fx.name;
        let server = SmtpServer::start();
        server.refuse("fin.one@binhai.gov.cn");
        let c = config(&server.url());
        deliver(fx, &c);
        notify(fx, Some(fx.finance), None, "第一条");
        notify(fx, Some(fx.finance), None, "第二条");
        let r = deliver(fx, &c);
        assert_eq!(
            (r.notifications, r.sent, r.rejected, r.failure.as_deref()),
            (2, 2, 2, None),
            "[{n}] {r:?}"
        );
        assert!(r.to_string().contains("拒收"), "[{n}] {r}");
        let got = server.received();
        assert_eq!(recipients(&got), set(&["fin.two@binhai.gov.cn"]), "[{n}]");
        assert_eq!(got.len(), 2, "[{n}]");
        // Refused for good means skipped for good: not tried again.
        assert_eq!(deliver(fx, &c), Round::default(), "[{n}]");
    });
}

#[test]
fn a_node_that_holds_the_delivery_keeps_the_others_out() {
    each("mail_lease", |fx| {
        let n = fx.name;
        let server = SmtpServer::start();
        let c = config(&server.url());
        deliver(fx, &c);
        notify(fx, Some(fx.finance), None, "只发一次");
        // Another node took the delivery for ten minutes.
        let now = fx.app.now().timestamp();
        assert!(fx.store.claim_mail(now, now + 600).unwrap(), "[{n}]");
        let r = deliver(fx, &c);
        assert!(r.busy && r.sent == 0, "[{n}] {r:?}");
        assert!(server.received().is_empty(), "[{n}]");
        // Given back, the next round sends.
        fx.store.release_mail(now + 600).unwrap();
        assert_eq!(deliver(fx, &c).sent, 2, "[{n}]");
    });
}

/// A transport that fails once for one address, and records what it sent.
struct Flaky {
    fail_once_for: Mutex<Option<String>>,
    sent: Mutex<Vec<String>>,
}

impl Transport for Flaky {
    fn send(&self, m: &Outgoing) -> Result<(), SendFailure> {
        if self
            .fail_once_for
            .lock()
            .unwrap()
            .take_if(|a| *a == m.to)
            .is_some()
        {
            return Err(SendFailure::Unavailable("421 try again later".into()));
        }
        self.sent
            .lock()
            .unwrap()
            .push(format!("{} {}", m.to, m.body.lines().next().unwrap_or("")));
        Ok(())
    }
}

#[test]
fn a_failure_between_two_recipients_resumes_at_the_second() {
    each("mail_resume", |fx| {
        let n = fx.name;
        let t = Flaky {
            fail_once_for: Mutex::new(Some("fin.two@binhai.gov.cn".into())),
            sent: Mutex::new(Vec::new()),
        };
        mail::deliver(&fx.app, &t, None).unwrap();
        notify(fx, Some(fx.finance), None, "甲");
        let r = mail::deliver(&fx.app, &t, None).unwrap();
        assert_eq!((r.notifications, r.sent), (0, 1), "[{n}] {r:?}");
        assert!(r.failure.is_some(), "[{n}]");
        let r = mail::deliver(&fx.app, &t, None).unwrap();
        assert_eq!((r.notifications, r.sent), (1, 1), "[{n}] {r:?}");
        assert_eq!(
            *t.sent.lock().unwrap(),
            ["fin.one@binhai.gov.cn 甲", "fin.two@binhai.gov.cn 甲"],
            "[{n}] the first recipient is not mailed twice"
        );
    });
}

#[test]
fn tick_delivers_all_that_waits_beyond_one_round() {
    each("mail_many", |fx| {
        let n = fx.name;
        let t = Flaky {
            fail_once_for: Mutex::new(None),
            sent: Mutex::new(Vec::new()),
        };
        mail::start(&fx.app).unwrap();
        let many = mail::PER_ROUND as usize + 5;
        fx.store
            .write(|tx| {
                for i in 0..many {
                    tx.cases()
                        .notify(Some(fx.finance), None, &format!("第 {i} 条"))?;
                }
                Ok::<_, probity_store::StoreError>(())
            })
            .unwrap();
        let r = mail::deliver(&fx.app, &t, None).unwrap();
        assert_eq!(
            (r.notifications, r.more),
            (mail::PER_ROUND as usize, true),
            "[{n}]"
        );
        let r = mail::deliver_all(&fx.app, &t, None).unwrap();
        assert_eq!((r.notifications, r.more), (5, false), "[{n}] {r:?}");
        assert_eq!(t.sent.lock().unwrap().len(), many * 2, "[{n}]");
    });
}
