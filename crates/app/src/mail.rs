//! E-mail notifications (邮件通知): every notification the cases write (`cases`, shown in the
//! console under the bell) is also mailed, when the operator configured an SMTP server, to the
//! enabled accounts of its audience that have an e-mail address (邮箱): the provider and unit
//! accounts of its unit, or the credit office's accounts. One message per recipient.
//!
//! The notifications are the outbox, read in order from the mail's position (`store::mail`):
//! the first time mail runs it starts after the newest notification, so that an old backlog is
//! not sent at once. A round takes at most [`PER_ROUND`] notifications. A server that cannot be
//! reached, or answers "not now" (4xx), stops the round before the notification it was on, which
//! the next round sends again from the recipient it stopped at; a permanent refusal of one
//! address (5.x.x about the mailbox: unknown user, mailbox unavailable) skips that recipient,
//! logged, so that one bad address never holds up the queue. Nothing here panics on a failure;
//! every failure is logged with `tracing` and the notification stays in the console regardless.
//!
//! `probity serve` runs a round every [`EVERY`] ([`Courier`]); `probity tick` delivers what is
//! pending at its end ([`deliver_all`]). Both may run at once, on several nodes: a lease on the
//! position lets one of them deliver at a time.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use lettre::Transport as _;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::response::Category;
use probity_domain::account::AccountRole;
use probity_store::{MailPosition, PendingNotification};

use crate::{App, AppError, AppResult};

/// Notifications one round takes at most.
pub const PER_ROUND: u32 = 200;
/// How often `serve` runs a round.
pub const EVERY: Duration = Duration::from_secs(30);
/// How long one node holds the delivery without a step forward (a node that stopped mid-round
/// leaves it to the others after this).
const LEASE_SECS: i64 = 600;
/// How long the mail server may stay silent on a connection.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Every subject starts with the platform's name.
pub const SUBJECT_PREFIX: &str = "【政务诚信信息平台】";
/// The sender's name when the configured From address has none.
const SENDER_NAME: &str = "政务诚信信息平台";
/// The longest summary of a notification in a subject, in characters.
const SUMMARY_MAX_CHARS: usize = 40;

/// How the operator configured the mail: the SMTP server (lettre's connection URL), the sender,
/// and the platform's public address for the links to a case.
#[derive(Clone)]
pub struct MailConfig {
    smtp_url: String,
    from: Mailbox,
    public_url: Option<String>,
}

impl std::fmt::Debug for MailConfig {
    // Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp_url", &self.server())
            .field("from", &self.from.to_string())
            .field("public_url", &self.public_url)
            .finish()
    }
}

impl MailConfig {
    /// Checks the settings: `smtp_url` as lettre takes it (`smtp://host:25` plain,
    /// `smtp://user:pass@host:587?tls=required` with STARTTLS, `smtps://user:pass@host:465`
    /// over TLS; a user name or password with special characters percent-encoded), `from` an
    /// address with or without a name (`政务诚信信息平台 <xyb@binhai.gov.cn>`), `public_url` the
    /// platform's address (`https://xy.binhai.gov.cn`), if the mail is to link to the case.
    pub fn new(smtp_url: &str, from: &str, public_url: Option<&str>) -> AppResult<MailConfig> {
        let smtp_url = smtp_url.trim().to_string();
        if !(smtp_url.starts_with("smtp://") || smtp_url.starts_with("smtps://")) {
            return Err(AppError::BadInput {
                code: "SMTP_URL_INVALID",
                message: "邮件服务器地址应以 smtp:// 或 smtps:// 开头，例如 smtp://用户名:密码@mail.binhai.gov.cn:587?tls=required".into(),
            });
        }
        if let Err(e) = lettre::SmtpTransport::from_url(&smtp_url) {
            return Err(AppError::BadInput {
                code: "SMTP_URL_INVALID",
                message: format!(
                    "邮件服务器地址 {} 无效：{e}（应为 smtp://主机:端口、smtp://用户名:密码@主机:587?tls=required 或 smtps://用户名:密码@主机:465）",
                    redact(&smtp_url)
                ),
            });
        }
        let mut from: Mailbox = from.trim().parse().map_err(|e| AppError::BadInput {
            code: "MAIL_FROM_INVALID",
            message: format!(
                "发件人地址“{}”无效：{e}（例如 xyb@binhai.gov.cn 或 政务诚信信息平台 <xyb@binhai.gov.cn>）",
                from.trim()
            ),
        })?;
        if from.name.is_none() {
            from.name = Some(SENDER_NAME.into());
        }
        Ok(MailConfig {
            smtp_url,
            from,
            public_url: public_url
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty()),
        })
    }

    /// The server as the logs may name it: the URL without its password.
    pub fn server(&self) -> String {
        redact(&self.smtp_url)
    }

    /// The sender, as the From header says it.
    pub fn from(&self) -> String {
        self.from.to_string()
    }

    /// The platform's public address the mail links to, without a trailing slash.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }
}

/// A connection URL with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

/// One message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// The Date header (the platform's clock).
    pub date: DateTime<Utc>,
    /// The Message-ID's left part: one per notification and recipient, so that a message sent
    /// again after a failure is recognisably the same one.
    pub key: String,
}

/// Why a message did not go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// The server refused this recipient for good (a 5.x.x about the mailbox): skipped.
    Rejected(String),
    /// The server could not be reached, or refused for now: the rest waits for the next round.
    Unavailable(String),
}

/// Where messages go: SMTP ([`Smtp`]), or what a test puts in its place.
pub trait Transport: Send + Sync {
    fn send(&self, mail: &Outgoing) -> Result<(), SendFailure>;
}

/// The SMTP server of a [`MailConfig`] (lettre; a connection per message).
pub struct Smtp {
    transport: lettre::SmtpTransport,
    from: Mailbox,
}

impl Smtp {
    pub fn new(config: &MailConfig) -> AppResult<Smtp> {
        let transport = lettre::SmtpTransport::from_url(&config.smtp_url)
            .map_err(|e| AppError::BadInput {
                code: "SMTP_URL_INVALID",
                message: format!("邮件服务器地址 {} 无效：{e}", config.server()),
            })?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Smtp {
            transport,
            from: config.from.clone(),
        })
    }
}

impl Transport for Smtp {
    fn send(&self, mail: &Outgoing) -> Result<(), SendFailure> {
        let to: lettre::Address = mail
            .to
            .parse()
            .map_err(|e| SendFailure::Rejected(format!("收件地址无效：{e}")))?;
        let domain = self.from.email.domain().to_string();
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(mail.subject.as_str())
            .date(SystemTime::from(mail.date))
            .message_id(Some(format!("<{}@{domain}>", mail.key)))
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .header(ContentTransferEncoding::Base64)
                    .body(mail.body.clone()),
            )
            .map_err(|e| SendFailure::Rejected(format!("邮件无法生成：{e}")))?;
        self.transport
            .send(&message)
            .map(|_| ())
            .map_err(|e| match e.status() {
                // 55x: this mailbox (unknown, unavailable, not allowed), for good.
                Some(code) if e.is_permanent() && code.category == Category::MailSystem => {
                    SendFailure::Rejected(e.to_string())
                }
                // Anything else (no connection, TLS, 4xx, a refused login or sender) is the
                // server's or the configuration's, not this address's: try again later.
                _ => SendFailure::Unavailable(e.to_string()),
            })
    }
}

/// Whose accounts a notification is for: the credit office's (`unit: None`), or the provider and
/// unit accounts of its unit, as the console shows them under the bell.
pub fn audience(unit: Option<i64>) -> &'static [AccountRole] {
    match unit {
        None => &[AccountRole::Admin],
        Some(_) => &[AccountRole::Provider, AccountRole::Unit],
    }
}

/// The subject and body of a notification's mail; the body links to its case when the
/// platform's public address is known.
pub fn compose(n: &PendingNotification, public_url: Option<&str>) -> (String, String) {
    let mut subject = format!("{SUBJECT_PREFIX}{}", summary(&n.message));
    if let Some(case) = n.case_id {
        subject.push_str(&format!("（案件 #{case}）"));
    }
    let mut body = format!(
        "{}\n\n通知时间：{}（北京时间）\n",
        n.message,
        probity_domain::date::beijing_minute(n.created_at)
    );
    match (public_url, n.case_id) {
        (Some(base), Some(case)) => {
            body.push_str(&format!("查看和办理：{base}/console/cases/{case}\n"));
        }
        _ => body.push_str("请登录政务诚信信息平台查看和办理。\n"),
    }
    body.push_str(
        "\n——\n本邮件由政务诚信信息平台根据系统通知自动发送，请勿直接回复。\
         如不需再收到邮件，请联系系统管理员删除账号登记的邮箱。\n",
    );
    (subject, body)
}

/// A notification's first clause (收到异议, 逾期督办 …), at most 40 characters.
fn summary(message: &str) -> String {
    let line: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let line = line.trim();
    let head = line
        .split(['：', '，', '。', ':'])
        .next()
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .unwrap_or(line);
    if head.chars().count() > SUMMARY_MAX_CHARS {
        let cut: String = head.chars().take(SUMMARY_MAX_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        head.to_string()
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Round {
    /// Notifications done: mailed to every recipient (or with none to mail).
    pub notifications: usize,
    /// Messages the server accepted.
    pub sent: usize,
    /// Recipients the server refused for good (skipped).
    pub rejected: usize,
    /// Why the round stopped early: the rest waits for the next round.
    pub failure: Option<String>,
    /// Another node holds the delivery: nothing was done.
    pub busy: bool,
    /// More notifications wait than one round takes.
    pub more: bool,
}

impl std::fmt::Display for Round {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.busy {
            return f.write_str("邮件通知：另一节点正在发送，本次未发送");
        }
        write!(
            f,
            "邮件通知：处理通知 {} 条，发出邮件 {} 封",
            self.notifications, self.sent
        )?;
        if self.rejected > 0 {
            write!(f, "，{} 个邮箱被邮件服务器拒收（已跳过）", self.rejected)?;
        }
        if let Some(why) = &self.failure {
            write!(f, "；邮件服务器暂时无法发送（{why}），其余通知下次重试")?;
        }
        Ok(())
    }
}

/// One round: the notifications after the mail's position, at most [`PER_ROUND`], to their
/// recipients through `transport`.
pub fn deliver(app: &App, transport: &dyn Transport, public_url: Option<&str>) -> AppResult<Round> {
    let store = app.store();
    // Started (at the newest notification) before anything else, the first time; and nothing
    // written at all while nothing waits.
    let pos = store.mail_position()?;
    if store.notifications_after(pos.notification, 1)?.is_empty() {
        return Ok(Round::default());
    }
    let now = app.now().timestamp();
    let mut held = now.saturating_add(LEASE_SECS);
    if !store.claim_mail(now, held)? {
        return Ok(Round {
            busy: true,
            ..Round::default()
        });
    }
    let round = deliver_held(app, transport, public_url, &mut held);
    if let Err(e) = store.release_mail(held) {
        tracing::warn!(error = %e, "could not give the mail delivery back; it lapses by itself");
    }
    let round = round?;
    if round.sent > 0 || round.rejected > 0 {
        tracing::info!(
            notifications = round.notifications,
            sent = round.sent,
            rejected = round.rejected,
            "notifications mailed"
        );
    }
    Ok(round)
}

/// Rounds until nothing is pending, the server fails, or another node holds the delivery (what
/// `probity tick` does at its end). The counts are the rounds' together.
pub fn deliver_all(
    app: &App,
    transport: &dyn Transport,
    public_url: Option<&str>,
) -> AppResult<Round> {
    let mut total = Round::default();
    loop {
        let r = deliver(app, transport, public_url)?;
        total.notifications += r.notifications;
        total.sent += r.sent;
        total.rejected += r.rejected;
        total.busy = r.busy;
        total.failure = r.failure.clone();
        if !r.more || r.busy || r.failure.is_some() || r.notifications == 0 {
            total.more = r.more;
            return Ok(total);
        }
    }
}

/// A round while holding the lease that ends at `held` (renewed at every step).
fn deliver_held(
    app: &App,
    transport: &dyn Transport,
    public_url: Option<&str>,
    held: &mut i64,
) -> AppResult<Round> {
    let store = app.store();
    let mut round = Round::default();
    let mut pos = store.mail_position()?;
    // One step forward, with the lease renewed; false once another node took it over.
    let mut step = |to: MailPosition| -> AppResult<bool> {
        let renew = app.now().timestamp().saturating_add(LEASE_SECS);
        let ours = store.advance_mail(to, *held, renew)?;
        if ours {
            *held = renew;
        } else {
            tracing::warn!("the mail delivery was taken over by another node: round stopped");
        }
        Ok(ours)
    };
    let pending = store.notifications_after(pos.notification, PER_ROUND)?;
    for n in &pending {
        let (subject, body) = compose(n, public_url);
        let recipients = store.mail_recipients(n.unit_id, audience(n.unit_id))?;
        let reached = pos.account;
        for r in recipients.iter().filter(|r| r.account_id > reached) {
            let mail = Outgoing {
                to: r.email.clone(),
                subject: subject.clone(),
                body: body.clone(),
                date: app.now(),
                key: format!("notification-{}-{}", n.id, r.account_id),
            };
            match transport.send(&mail) {
                Ok(()) => round.sent += 1,
                Err(SendFailure::Rejected(why)) => {
                    tracing::warn!(
                        notification = n.id,
                        account = %r.name,
                        error = %why,
                        "the mail server refused this account's address for good: skipped"
                    );
                    round.rejected += 1;
                }
                Err(SendFailure::Unavailable(why)) => {
                    tracing::warn!(
                        notification = n.id,
                        error = %why,
                        "the mail server cannot take mail now: the notification waits for the next round"
                    );
                    round.failure = Some(why);
                    return Ok(round);
                }
            }
            pos.account = r.account_id;
            if !step(pos)? {
                return Ok(round);
            }
        }
        pos = MailPosition {
            notification: n.id,
            account: 0,
        };
        if !step(pos)? {
            return Ok(round);
        }
        round.notifications += 1;
    }
    round.more = pending.len() == PER_ROUND as usize;
    Ok(round)
}

/// The mail in `serve`: a round now and every `every` on a thread of its own, each failure
/// logged and tried again at the next round.
pub struct Courier(crate::periodic::Periodic);

impl Courier {
    pub fn start(app: App, config: MailConfig, every: Duration) -> AppResult<Courier> {
        let smtp = Smtp::new(&config)?;
        // From now on every notification is mailed, even one written before the first round.
        app.store().mail_position()?;
        tracing::info!(server = %config.server(), from = %config.from(), "notifications are mailed");
        Ok(Courier(crate::periodic::Periodic::start(
            "mail",
            every,
            move || {
                if let Err(e) = deliver(&app, &smtp, config.public_url()) {
                    tracing::error!(error = %e, "mail delivery failed");
                }
            },
        )))
    }

    /// Stops the thread after its current round.
    pub fn stop(self) {
        self.0.stop();
    }
}

/// Starts the mail's position now if it never ran (at the newest notification), so that the
/// notifications written from here on are mailed (`probity tick` before its clocks).
pub fn start(app: &App) -> AppResult<()> {
    app.store().mail_position()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification(message: &str, case_id: Option<i64>) -> PendingNotification {
        PendingNotification {
            id: 7,
            unit_id: Some(3),
            case_id,
            message: message.into(),
            created_at: DateTime::parse_from_rfc3339("2026-03-05T02:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    #[test]
    fn the_subject_is_the_first_clause_and_the_body_links_the_case() {
        let n = notification(
            "收到异议：津滨财罚〔2026〕1号，请于 2026年3月19日 前答复",
            Some(12),
        );
        let (subject, body) = compose(&n, Some("https://xy.binhai.gov.cn"));
        assert_eq!(subject, "【政务诚信信息平台】收到异议（案件 #12）");
        assert!(
            body.starts_with("收到异议：津滨财罚〔2026〕1号，请于 2026年3月19日 前答复\n"),
            "{body}"
        );
        assert!(
            body.contains("通知时间：2026-03-05 10:00（北京时间）"),
            "{body}"
        );
        assert!(
            body.contains("查看和办理：https://xy.binhai.gov.cn/console/cases/12\n"),
            "{body}"
        );
        let (_, body) = compose(&n, None);
        assert!(!body.contains("http"), "{body}");
        assert!(body.contains("请登录政务诚信信息平台查看和办理"), "{body}");
        let (subject, _) = compose(&notification(&"长".repeat(100), None), None);
        assert_eq!(subject.chars().count(), SUBJECT_PREFIX.chars().count() + 40);
        assert!(subject.ends_with('…'));
        let (subject, _) = compose(&notification("逾期督办\r\nBcc: x@y.cn", None), None);
        assert!(
            !subject.contains('\n') && !subject.contains('\r'),
            "{subject}"
        );
    }

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redact("smtp://xyb:s3cr%40t@mail.binhai.gov.cn:587?tls=required"),
            "smtp://xyb:***@mail.binhai.gov.cn:587?tls=required"
        );
        assert_eq!(
            redact("smtps://xyb@mail.binhai.gov.cn"),
            "smtps://xyb@mail.binhai.gov.cn"
        );
        assert_eq!(redact("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525");
        let c = MailConfig::new(
            "smtps://xyb:topsecret@mail.binhai.gov.cn",
            "xyb@binhai.gov.cn",
            None,
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("topsecret"), "{c:?}");
        assert_eq!(c.server(), "smtps://xyb:***@mail.binhai.gov.cn");
        assert!(c.from().contains("xyb@binhai.gov.cn"), "{}", c.from());
    }

    #[test]
    fn bad_settings_are_refused_in_chinese() {
        for (url, from) in [
            ("http://mail.binhai.gov.cn", "xyb@binhai.gov.cn"),
            ("smtp://", "xyb@binhai.gov.cn"),
            (
                "smtp://mail.binhai.gov.cn?tls=sometimes",
                "xyb@binhai.gov.cn",
            ),
            ("smtp://mail.binhai.gov.cn", "not an address"),
            ("smtp://mail.binhai.gov.cn", ""),
        ] {
            let e = MailConfig::new(url, from, None).unwrap_err();
            assert!(
                matches!(e.code(), "SMTP_URL_INVALID" | "MAIL_FROM_INVALID"),
                "{url} {from}: {e}"
            );
        }
        let e = MailConfig::new(
            "smtp://u:pw123@mail.binhai.gov.cn?tls=maybe",
            "a@b.cn",
            None,
        )
        .unwrap_err();
        assert!(!e.to_string().contains("pw123"), "{e}");
        MailConfig::new("smtp://127.0.0.1:2525", "xyb@binhai.gov.cn", None).unwrap();
        MailConfig::new(
            "smtp://xyb:pw@mail.binhai.gov.cn:587?tls=required",
            "政务诚信信息平台 <xyb@binhai.gov.cn>",
            Some("https://xy.binhai.gov.cn/"),
        )
        .unwrap();
    }
}
