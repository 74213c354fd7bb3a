//! `probity`: the command line of the government-integrity platform (政务诚信信息平台). It wires
//! files, the store and the web layer together; the rules live in the domain crate.

mod accounts;
mod assessment;
mod commitments;
mod config;
mod gen_commitments;
#[path = "gen.rs"]
mod generate;
mod ops;
mod report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use probity_store::{Keys, Store};

// Imports allocate and free many small strings per row; mimalloc keeps that off the profile.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit codes of DESIGN.md section 5.
const EXIT_OK: u8 = 0;
const EXIT_FAILURE: u8 = 1;
const EXIT_UNREADABLE: u8 = 2;
const EXIT_REJECTED: u8 = 3;

#[derive(Parser)]
#[command(
    name = "probity",
    version,
    about = "政务诚信信息平台 Probity：政务失信记录的归集、公示、评价与联合奖惩"
)]
struct Cli {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB
    #[arg(
        long,
        global = true,
        env = "PROBITY_DB",
        default_value = "sqlite://data/probity.db"
    )]
    db: String,
    /// Master key file for ID-number encryption; created on first use. Default: probity.key beside
    /// the SQLite database, or data/probity.key for PostgreSQL.
    #[arg(long, global = true, env = "PROBITY_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// The search index's directory (derived data; `probity reindex` rebuilds it). Default:
    /// search-index beside the SQLite database, or data/search-index for PostgreSQL.
    #[arg(long, global = true, env = "PROBITY_INDEX_DIR")]
    index_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the platform (HTTP).
    Serve {
        #[arg(long, env = "PROBITY_ADDR", default_value = "127.0.0.1:8080")]
        addr: String,
        /// Load the demo district first when the database is empty.
        #[arg(long)]
        demo: bool,
        /// A TOML file with any of: db, key_file, addr, session_ttl_minutes,
        /// session_idle_minutes, secure_cookies, login_per_minute, public_per_minute,
        /// public_url, trusted_proxies, metrics_addr, metrics_token, smtp_url, mail_from. Flags
        /// and environment win.
        #[arg(long, env = "PROBITY_CONFIG")]
        config: Option<PathBuf>,
        /// A session ends this many minutes after login at the latest.
        #[arg(long, env = "PROBITY_SESSION_TTL_MINUTES", default_value_t = 480,
              value_parser = clap::value_parser!(u32).range(1..=10_080))]
        session_ttl_minutes: u32,
        /// A session ends after this many minutes without a request.
        #[arg(long, env = "PROBITY_SESSION_IDLE_MINUTES", default_value_t = 30,
              value_parser = clap::value_parser!(u32).range(1..=1_440))]
        session_idle_minutes: u32,
        /// Mark cookies Secure (when served over TLS, directly or behind a proxy).
        #[arg(long, env = "PROBITY_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Login attempts allowed per client address per minute.
        #[arg(long, env = "PROBITY_LOGIN_PER_MINUTE", default_value_t = 10,
              value_parser = clap::value_parser!(u32).range(1..=10_000))]
        login_per_minute: u32,
        /// Public requests (search, profiles) allowed per client address per minute.
        #[arg(long, env = "PROBITY_PUBLIC_PER_MINUTE", default_value_t = 120,
              value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        public_per_minute: u32,
        /// The portal's address as the public reaches it (e.g. https://xy.example.gov.cn), printed
        /// with a QR code on credit reports for their verification; without it, the address a
        /// request came to.
        #[arg(long, env = "PROBITY_PUBLIC_URL", value_parser = parse_public_url)]
        public_url: Option<String>,
        /// A reverse proxy whose X-Forwarded-For header names the client (repeat, or separate
        /// with commas). From any other peer the header is ignored.
        #[arg(
            long = "trusted-proxy",
            env = "PROBITY_TRUSTED_PROXIES",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Serve /metrics (Prometheus) on this address too, alone and without a token: bind it
        /// where only the monitoring system reaches (e.g. 127.0.0.1:9100).
        #[arg(long, env = "PROBITY_METRICS_ADDR")]
        metrics_addr: Option<String>,
        /// A bearer token that opens /metrics on the main address (Authorization: Bearer …);
        /// without one, /metrics answers 404 there. Prefer the environment variable: a flag is
        /// visible to other users in the process list.
        #[arg(long, env = "PROBITY_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
        #[command(flatten)]
        mail: MailArgs,
    },
    /// Loads the demo district (Binhai New Area) into the database.
    Demo,
    /// Rebuilds the public search index (全文检索索引) from the database.
    Reindex,
    /// Runs every clock once as of today (Beijing time) or DATE: records whose disclosure period
    /// has ended become 已到期. For cron and tests; `serve` runs it each day by itself. With
    /// --smtp-url, then mails the notifications not mailed yet.
    Tick {
        /// The day to run as of (YYYY-MM-DD); today by default.
        #[arg(long, value_parser = parse_day)]
        today: Option<chrono::NaiveDate>,
        #[command(flatten)]
        mail: MailArgs,
        /// The platform's address (e.g. https://xy.example.gov.cn), for the link to the case in
        /// each mail.
        #[arg(long, env = "PROBITY_PUBLIC_URL", value_parser = parse_public_url)]
        public_url: Option<String>,
    },
    /// The roster of subjects (主体名录).
    Subjects {
        #[command(subcommand)]
        command: SubjectsCommand,
    },
    /// Credit records (信用记录).
    Records {
        #[command(subcommand)]
        command: RecordsCommand,
    },
    /// The catalog of record categories (信用信息目录).
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// The working-day calendar (工作日历) deadlines are counted on.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// The commitments registry (守信践诺): procurement contracts and their payments.
    Commitments {
        #[command(subcommand)]
        command: commitments::CommitmentsCommand,
    },
    /// The yearly assessment (考核评价).
    Assessment {
        #[command(subcommand)]
        command: assessment::AssessmentCommand,
    },
    /// The audit chain (审计日志).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Writes deterministic procurement contracts and their payments (two a contract on average)
    /// for the commitments benchmark; the purchasers are the demo district's units.
    GenCommitments {
        #[arg(long)]
        contracts: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
        /// The generator's today: no date in the files is after it.
        #[arg(long, value_parser = parse_day)]
        today: Option<chrono::NaiveDate>,
    },
    /// Writes deterministic synthetic data for tests and benchmarks.
    Gen {
        #[arg(long)]
        subjects: usize,
        #[arg(long)]
        records: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
        /// The provider (short name) whose file the records are.
        #[arg(long, default_value = "区财政局")]
        provider: String,
    },
    /// Accounts (账号): who may log in, in which role.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens (接口令牌) for system-to-system calls.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Writes an Excel template officials fill in.
    Template {
        #[arg(value_enum)]
        kind: TemplateKind,
        /// Limit the records template to one category (code or Chinese name).
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
}

/// Where the notifications are mailed from (邮件通知), for `serve` and `tick`. No Debug: the URL
/// may hold a password.
#[derive(clap::Args, Clone)]
struct MailArgs {
    /// Mail each notification to its accounts' e-mail addresses through this SMTP server:
    /// smtp://HOST:25 (plain), smtp://USER:PASS@HOST:587?tls=required (STARTTLS) or
    /// smtps://USER:PASS@HOST:465 (TLS); special characters in USER or PASS percent-encoded.
    /// Prefer the environment variable: a flag is visible to other users in the process list.
    #[arg(long, env = "PROBITY_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of that mail, e.g. "政务诚信信息平台 <xyb@binhai.gov.cn>".
    #[arg(long, env = "PROBITY_MAIL_FROM")]
    mail_from: Option<String>,
}

/// The mail's configuration from its two settings: both, or neither.
fn mail_config(
    smtp_url: Option<&str>,
    mail_from: Option<&str>,
    public_url: Option<&str>,
) -> anyhow::Result<Option<probity_app::mail::MailConfig>> {
    fn given(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    match (given(smtp_url), given(mail_from)) {
        (None, None) => Ok(None),
        (Some(_), None) => anyhow::bail!(
            "已设置邮件服务器（--smtp-url 或 PROBITY_SMTP_URL），还须设置发件人地址（--mail-from 或 PROBITY_MAIL_FROM）"
        ),
        (None, Some(_)) => anyhow::bail!(
            "已设置发件人地址（--mail-from 或 PROBITY_MAIL_FROM），还须设置邮件服务器（--smtp-url 或 PROBITY_SMTP_URL）"
        ),
        (Some(url), Some(from)) => Ok(Some(probity_app::mail::MailConfig::new(
            url, from, public_url,
        )?)),
    }
}

#[derive(Subcommand)]
enum SubjectsCommand {
    /// Loads a roster of units and civil servants (CSV, XLSX or JSONL).
    Import {
        file: PathBuf,
        /// Accept USCCs whose only fault is the check digit (real codes issued before 2016); audited.
        #[arg(long)]
        allow_check_override: bool,
        #[arg(long)]
        errors: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Records that a unit was renamed or merged into another (机构改革); its records follow it.
    Merge {
        #[arg(long)]
        from: String,
        #[arg(long)]
        into: String,
        #[arg(long, default_value = "机构改革")]
        reason: String,
    },
    /// Lists the roster.
    List,
    /// Shows one unit's file (档案): the unit and every record about it or its predecessors.
    Show {
        /// Short name, full name or USCC.
        unit: String,
    },
}

#[derive(Subcommand)]
enum RecordsCommand {
    /// Loads records as submitted by a provider.
    Import {
        file: PathBuf,
        /// The provider: short name (e.g. 区法院), full name or USCC.
        #[arg(long)]
        provider: String,
        /// The credit office activates the records in the same step (audited as such).
        #[arg(long)]
        activate: bool,
        /// Commit nothing when any row is rejected.
        #[arg(long)]
        all_or_nothing: bool,
        /// Write every rejected row with its reason to this file (.csv or .xlsx).
        #[arg(long)]
        errors: Option<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        batch_size: u32,
    },
    /// Exports records changed after a change-feed sequence number.
    Export {
        #[arg(long, default_value_t = 0)]
        since: i64,
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Creates an account (the operator at the machine; the only way to create the three
    /// administrators). Without --password-stdin a one-time password is generated and shown once,
    /// and the holder must change it at the first login.
    Add {
        /// Account name: 2–32 letters, digits, _ . - or Chinese characters.
        #[arg(long)]
        name: String,
        /// admin (信用办), provider (报送单位), unit (被评价单位), hr (组织人事部门),
        /// sysadmin (系统管理员), secadmin (安全管理员), auditor (审计员); code or Chinese name.
        #[arg(long)]
        role: String,
        /// The unit a provider or unit account acts for: short name, full name or USCC.
        #[arg(long)]
        unit: Option<String>,
        /// The holder's real name (姓名).
        #[arg(long, default_value = "")]
        real_name: String,
        /// The holder's phone number (联系电话): a mobile or a landline with its area code.
        #[arg(long, default_value = "")]
        phone: String,
        /// Where the holder's notifications are mailed (邮箱), when serve or tick has
        /// --smtp-url; none by default.
        #[arg(long, default_value = "")]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Lists the accounts.
    List,
    /// Sets a one-time password (shown once) that the holder must change at the next login.
    ResetPassword {
        #[arg(long)]
        user: String,
    },
    /// Disables an account: its sessions end and its tokens stop working.
    Disable {
        #[arg(long)]
        user: String,
    },
    /// Re-enables a disabled account.
    Enable {
        #[arg(long)]
        user: String,
    },
    /// Lifts a lockout after repeated failed logins.
    Unlock {
        #[arg(long)]
        user: String,
    },
    /// Forgets the second factor (a lost phone): the holder enrols again at the next login.
    ResetTotp {
        #[arg(long)]
        user: String,
    },
    /// Sets the holder's real name and phone number (账号信息), and the e-mail address the
    /// notifications are mailed to.
    Contact {
        #[arg(long)]
        user: String,
        #[arg(long)]
        real_name: String,
        #[arg(long)]
        phone: String,
        /// The e-mail address (邮箱); "" removes it; left out, the address stays as it is.
        #[arg(long)]
        email: Option<String>,
    },
    /// Grants a role; never across the line between business roles and the three administrators.
    Role {
        #[arg(long)]
        user: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        unit: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issues a bearer token for an account and prints it once.
    Issue {
        /// The account name.
        #[arg(long)]
        user: String,
        /// What the token is for (e.g. the calling system).
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Revokes a token by its number.
    Revoke { id: i64 },
    /// Lists tokens (never their values).
    List {
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Lists the categories with their rules.
    List,
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Prints the N-th working day after DATE (DATE itself not counted), as YYYY-MM-DD.
    Add {
        #[arg(value_parser = parse_day)]
        date: chrono::NaiveDate,
        #[arg(value_parser = clap::value_parser!(u32).range(0..=3_650))]
        n: u32,
    },
    /// Imports listed days (CSV or XLSX: 日期, 类型 放假/上班, 名称); each year in the file
    /// replaces that year.
    Import { file: PathBuf },
    /// Lists the holidays and make-up working days of YEAR, or the years known.
    Show {
        #[arg(value_parser = clap::value_parser!(i32).range(2000..=2100))]
        year: Option<i32>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recomputes the audit chain and checks every audited row.
    Verify,
}

#[derive(Clone, Copy, ValueEnum)]
enum TemplateKind {
    Roster,
    Records,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Jsonl,
    Csv,
    Xlsx,
}

fn main() -> ExitCode {
    // `probity records export | head` must end quietly, as Unix tools do, not panic on a closed
    // pipe: restore the default SIGPIPE action that the Rust runtime replaces.
    #[cfg(unix)]
    // SAFETY: called before any thread exists; SIG_DFL is a valid action for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PROBITY_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    match run(cli, &matches) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("错误：{e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// `probity serve`, with its configuration merged from flags, environment and the TOML file.
fn serve(cli: &mut Cli, matches: &clap::ArgMatches) -> anyhow::Result<u8> {
    let Command::Serve {
        addr,
        demo,
        config: file,
        session_ttl_minutes,
        session_idle_minutes,
        secure_cookies,
        login_per_minute,
        public_per_minute,
        public_url,
        trusted_proxies,
        metrics_addr,
        metrics_token,
        mail,
    } = &cli.command
    else {
        return Ok(EXIT_FAILURE);
    };
    let sub = matches.subcommand_matches("serve").unwrap_or(matches);
    let f = match file {
        Some(p) => config::FileConfig::load(p)?,
        None => config::FileConfig::default(),
    };
    let addr = config::pick(sub, "addr", addr, f.addr.clone());
    let web = probity_web::WebConfig {
        session_ttl: chrono::Duration::minutes(i64::from(config::pick(
            sub,
            "session_ttl_minutes",
            session_ttl_minutes,
            f.session_ttl_minutes,
        ))),
        session_idle: chrono::Duration::minutes(i64::from(config::pick(
            sub,
            "session_idle_minutes",
            session_idle_minutes,
            f.session_idle_minutes,
        ))),
        secure_cookies: config::pick(sub, "secure_cookies", secure_cookies, f.secure_cookies),
        login_per_minute: config::pick(
            sub,
            "login_per_minute",
            login_per_minute,
            f.login_per_minute,
        ) as usize,
        trusted_proxies: config::pick(
            sub,
            "trusted_proxies",
            trusted_proxies,
            f.trusted_proxies.clone(),
        ),
        metrics_addr: config::pick(
            sub,
            "metrics_addr",
            metrics_addr,
            f.metrics_addr.clone().map(Some),
        ),
        metrics_token: config::pick(
            sub,
            "metrics_token",
            metrics_token,
            f.metrics_token.clone().map(Some),
        )
        .as_deref()
        .and_then(probity_web::metrics::MetricsToken::new),
    };
    let demo = *demo;
    let public_url = match (config::given(sub, "public_url"), &f.public_url) {
        (false, Some(u)) => {
            Some(parse_public_url(u).map_err(|e| anyhow::anyhow!("public_url：{e}"))?)
        }
        _ => public_url.clone(),
    };
    // The mail's settings are checked before anything is opened or loaded.
    let smtp_url = config::pick(
        sub,
        "smtp_url",
        &mail.smtp_url,
        f.smtp_url.clone().map(Some),
    );
    let mail_from = config::pick(
        sub,
        "mail_from",
        &mail.mail_from,
        f.mail_from.clone().map(Some),
    );
    let mail = mail_config(
        smtp_url.as_deref(),
        mail_from.as_deref(),
        public_url.as_deref(),
    )?;
    cli.db = config::pick(matches, "db", &cli.db, f.db.clone());
    if !config::given(matches, "key_file")
        && let Some(k) = &f.key_file
    {
        cli.key_file = Some(PathBuf::from(k));
    }
    let store = open_store(cli)?;
    if demo {
        println!(
            "{}",
            probity_app::demo::load_demo(&store, probity_app::today())?
                .to_string()
                .trim_end()
        );
    }
    let pages = probity_web::PagesConfig {
        search_dir: Some(
            cli.index_dir
                .clone()
                .unwrap_or_else(|| default_index_dir(&cli.db)),
        ),
        public_per_minute: config::pick(
            sub,
            "public_per_minute",
            public_per_minute,
            f.public_per_minute,
        ) as usize,
        public_url,
        ..Default::default()
    };
    ops::serve(store, &addr, web, pages, mail)?;
    Ok(EXIT_OK)
}

/// The portal's public address: http(s), a host, no query; kept without a trailing slash.
fn parse_public_url(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or("应以 http:// 或 https:// 开头，例如 https://xy.example.gov.cn")?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty()
        || !rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:/_[]".contains(c))
    {
        return Err(
            "不是有效的网址：只能含主机名、端口和路径，例如 https://xy.example.gov.cn".into(),
        );
    }
    Ok(s.to_string())
}

/// Where the search index lives when not given.
fn default_index_dir(db: &str) -> PathBuf {
    default_key_file(db).with_file_name("search-index")
}

/// Where the master key lives when not given.
fn default_key_file(db: &str) -> PathBuf {
    match db
        .strip_prefix("sqlite://")
        .or_else(|| db.strip_prefix("sqlite:"))
    {
        Some(p) if !p.is_empty() && p != ":memory:" => Path::new(p)
            .parent()
            .unwrap_or(Path::new("."))
            .join("probity.key"),
        _ => PathBuf::from("data/probity.key"),
    }
}

fn open_store(cli: &Cli) -> anyhow::Result<Store> {
    let key_path = cli
        .key_file
        .clone()
        .unwrap_or_else(|| default_key_file(&cli.db));
    let keys = Keys::load_or_create(&key_path)?;
    Ok(Store::open(&cli.db, keys)?)
}

/// The operator at the machine, as the journal names them (`cli:root`).
/// A `--today` value: a calendar date, refused in Chinese otherwise.
fn parse_day(s: &str) -> Result<chrono::NaiveDate, String> {
    probity_domain::date::parse_date(s).map_err(|e| e.message)
}

fn actor() -> String {
    probity_domain::audit::Actor::Operator(
        std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
    )
    .to_string()
}

fn run(mut cli: Cli, matches: &clap::ArgMatches) -> anyhow::Result<u8> {
    if let Command::Serve { .. } = &cli.command {
        return serve(&mut cli, matches);
    }
    match &cli.command {
        Command::GenCommitments {
            contracts,
            seed,
            out,
            today,
        } => {
            let s = gen_commitments::generate_commitments(
                *contracts,
                *seed,
                today.unwrap_or_else(probity_app::today),
                out,
            )?;
            println!("{s}");
            Ok(EXIT_OK)
        }
        Command::Gen {
            subjects,
            records,
            seed,
            out,
            provider,
        } => {
            let s = generate::generate(
                *subjects,
                *records,
                *seed,
                provider,
                probity_app::today(),
                out,
            )
            .map_err(anyhow::Error::msg)?;
            println!("{s}");
            Ok(EXIT_OK)
        }
        Command::Template {
            kind,
            category,
            out,
        } => {
            // The credit office's catalog when a database exists; the national default otherwise,
            // without creating a database just to write a template.
            let sqlite_missing = cli
                .db
                .strip_prefix("sqlite://")
                .is_some_and(|p| !Path::new(p).exists());
            let store_catalog = if sqlite_missing {
                probity_domain::catalog::Catalog::new(probity_domain::catalog::default_catalog())
            } else {
                open_store(&cli)?.catalog()?
            };
            match kind {
                TemplateKind::Roster => {
                    probity_app::templates::write_roster_template(out, probity_app::today())?
                }
                TemplateKind::Records => probity_app::templates::write_records_template(
                    &store_catalog,
                    category.as_deref(),
                    out,
                    probity_app::today(),
                )?,
            }
            println!("模板已写入 {}", out.display());
            Ok(EXIT_OK)
        }
        Command::Tick {
            today,
            mail,
            public_url,
        } => {
            let mail = mail_config(
                mail.smtp_url.as_deref(),
                mail.mail_from.as_deref(),
                public_url.as_deref(),
            )?;
            let store = open_store(&cli)?;
            let app = probity_app::App::new(store, probity_app::Clock::system());
            if mail.is_some() {
                // The first time, the mail starts here: what the clocks notify next is mailed.
                probity_app::mail::start(&app)?;
            }
            let day = today.unwrap_or_else(|| app.today());
            let report = probity_app::tick::run(&app, day)?;
            println!("{report}");
            if let Some(config) = mail {
                let smtp = probity_app::mail::Smtp::new(&config)?;
                let round = probity_app::mail::deliver_all(&app, &smtp, config.public_url())?;
                println!("{round}");
                if round.failure.is_some() {
                    eprintln!(
                        "邮件服务器 {} 暂时无法发送：未发出的通知在下次运行时重试",
                        config.server()
                    );
                }
            }
            Ok(EXIT_OK)
        }
        Command::Reindex => {
            let store = open_store(&cli)?;
            let dir = cli
                .index_dir
                .clone()
                .unwrap_or_else(|| default_index_dir(&cli.db));
            ops::reindex(&store, &dir)?;
            Ok(EXIT_OK)
        }
        Command::Demo => {
            let store = open_store(&cli)?;
            let loaded = probity_app::demo::load_demo(&store, probity_app::today())?;
            println!("{}", loaded.to_string().trim_end());
            Ok(EXIT_OK)
        }
        Command::Serve { .. } => unreachable!("handled above"),
        Command::Subjects { command } => {
            let store = open_store(&cli)?;
            match command {
                SubjectsCommand::Import {
                    file,
                    allow_check_override,
                    errors,
                    json,
                } => {
                    let args = probity_app::import::RosterImportArgs {
                        file,
                        allow_check_override: *allow_check_override,
                        errors: errors.clone(),
                        actor: actor(),
                    };
                    finish_import(
                        probity_app::import::import_roster(&store, args),
                        probity_app::columns::ROSTER,
                        *json,
                        true,
                    )
                }
                SubjectsCommand::Merge { from, into, reason } => {
                    let app = probity_app::App::new(store, probity_app::Clock::system());
                    let (a, b) = probity_app::roster::merge(&app, &actor(), from, into, reason)?;
                    println!(
                        "已登记：{} 由 {} 承继，其记录随之归入后者的档案",
                        a.name, b.name
                    );
                    Ok(EXIT_OK)
                }
                SubjectsCommand::List => {
                    for s in store.subjects()? {
                        let key = s.uscc.clone().or(s.id_masked.clone()).unwrap_or_default();
                        println!(
                            "{}\t{}\t{}\t{}\t{}",
                            s.id,
                            s.kind.label(),
                            s.name,
                            s.short_name.as_deref().unwrap_or(""),
                            key
                        );
                    }
                    Ok(EXIT_OK)
                }
                SubjectsCommand::Show { unit } => {
                    ops::show_unit(&store, unit)?;
                    Ok(EXIT_OK)
                }
            }
        }
        Command::User { command } => {
            let store = open_store(&cli)?;
            let app = probity_app::App::new(store, probity_app::Clock::system());
            match command {
                UserCommand::Add {
                    name,
                    role,
                    unit,
                    real_name,
                    phone,
                    email,
                    password_stdin,
                } => accounts::user_add(
                    &app,
                    &probity_app::accounts::NewAccount {
                        name: name.clone(),
                        real_name: real_name.clone(),
                        phone: phone.clone(),
                        email: email.clone(),
                    },
                    role,
                    unit.as_deref(),
                    *password_stdin,
                    &actor(),
                )?,
                UserCommand::Contact {
                    user,
                    real_name,
                    phone,
                    email,
                } => accounts::user_contact(
                    &app,
                    user,
                    real_name,
                    phone,
                    email.as_deref(),
                    &actor(),
                )?,
                UserCommand::List => accounts::user_list(&app)?,
                UserCommand::ResetPassword { user } => {
                    accounts::user_reset_password(&app, user, &actor())?
                }
                UserCommand::Disable { user } => {
                    accounts::user_disable(&app, user, true, &actor())?
                }
                UserCommand::Enable { user } => {
                    accounts::user_disable(&app, user, false, &actor())?
                }
                UserCommand::Unlock { user } => accounts::user_unlock(&app, user, &actor())?,
                UserCommand::ResetTotp { user } => accounts::user_reset_totp(&app, user, &actor())?,
                UserCommand::Role { user, role, unit } => {
                    accounts::user_role(&app, user, role, unit.as_deref(), &actor())?
                }
            }
            Ok(EXIT_OK)
        }
        Command::Token { command } => {
            let store = open_store(&cli)?;
            let app = probity_app::App::new(store, probity_app::Clock::system());
            match command {
                TokenCommand::Issue { user, label } => {
                    accounts::token_issue(&app, user, label, &actor())?
                }
                TokenCommand::Revoke { id } => accounts::token_revoke(&app, *id, &actor())?,
                TokenCommand::List { user } => accounts::token_list(&app, user.as_deref())?,
            }
            Ok(EXIT_OK)
        }
        Command::Commitments { command } => {
            let app = probity_app::App::new(open_store(&cli)?, probity_app::Clock::system());
            commitments::run(&app, command, &actor())
        }
        Command::Assessment { command } => {
            let app = probity_app::App::new(open_store(&cli)?, probity_app::Clock::system());
            assessment::run(&app, command)
        }
        Command::Calendar { command } => {
            let app = probity_app::App::new(open_store(&cli)?, probity_app::Clock::system());
            ops::calendar(&app, command, &actor())
        }
        Command::Catalog {
            command: CatalogCommand::List,
        } => {
            let store = open_store(&cli)?;
            ops::print_catalog(&store.catalog()?);
            Ok(EXIT_OK)
        }
        Command::Records { command } => {
            let store = open_store(&cli)?;
            match command {
                RecordsCommand::Import {
                    file,
                    provider,
                    activate,
                    all_or_nothing,
                    errors,
                    json,
                    batch_size,
                } => {
                    let bar = (!*json).then(report::ProgressBar::new);
                    let on_progress = |p: probity_app::import::Progress| {
                        if let Some(b) = &bar {
                            b.report(p);
                        }
                    };
                    let args = probity_app::import::RecordImportArgs {
                        file,
                        provider,
                        activate: *activate,
                        all_or_nothing: *all_or_nothing,
                        errors: errors.clone(),
                        batch_size: *batch_size as usize,
                        actor: actor(),
                        today: probity_app::today(),
                        progress: Some(&on_progress),
                        channel: probity_store::Channel::File,
                    };
                    let result = probity_app::import::import_records(&store, args);
                    drop(bar);
                    finish_import(result, probity_app::columns::RECORDS, *json, false)
                }
                RecordsCommand::Export { since, format, out } => {
                    let format = match format {
                        ExportFormat::Jsonl => probity_ingest::Format::Jsonl,
                        ExportFormat::Csv => probity_ingest::Format::Csv,
                        ExportFormat::Xlsx => probity_ingest::Format::Xlsx,
                    };
                    let n = probity_app::export::export(&store, *since, format, out.as_deref())?;
                    eprintln!("已导出 {n} 条记录（变更序号 {since} 之后）");
                    Ok(EXIT_OK)
                }
            }
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let store = open_store(&cli)?;
            let report = store.verify()?;
            match &report.problem {
                None => {
                    println!(
                        "审计链完整：{} 条日志，{} 行数据核对无误；链头哈希 {}",
                        report.entries,
                        report.rows,
                        report.head.as_deref().unwrap_or("（空）")
                    );
                    Ok(EXIT_OK)
                }
                Some(p) => {
                    println!("审计链校验失败：{p}");
                    Ok(EXIT_FAILURE)
                }
            }
        }
    }
}

fn finish_import(
    result: Result<probity_app::import::Summary, probity_app::import::ImportFailure>,
    columns: &[probity_ingest::ColumnSpec],
    json: bool,
    roster: bool,
) -> anyhow::Result<u8> {
    match result {
        Ok(summary) => {
            if json {
                println!("{}", summary.to_json(columns));
            } else {
                report::print_summary(&summary, columns, roster);
            }
            Ok(if summary.rejected > 0 {
                EXIT_REJECTED
            } else {
                EXIT_OK
            })
        }
        Err(probity_app::import::ImportFailure::File(e)) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "error": { "code": e.code, "message": e.message } })
                );
            }
            eprintln!("无法读取文件：{}（{}）", e.message, e.code);
            Ok(EXIT_UNREADABLE)
        }
        Err(probity_app::import::ImportFailure::Store(e)) => {
            // The operator at the machine sees the database's own words too.
            let msg = e.to_string();
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "error": { "code": e.code(), "message": msg } })
                );
            }
            eprintln!("导入失败：{msg}");
            Ok(EXIT_FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_public_url;

    #[test]
    fn the_public_url_is_an_http_address_without_a_trailing_slash() {
        assert_eq!(
            parse_public_url(" https://xy.example.gov.cn/ ").as_deref(),
            Ok("https://xy.example.gov.cn")
        );
        assert_eq!(
            parse_public_url("http://10.0.0.5:8080/credit").as_deref(),
            Ok("http://10.0.0.5:8080/credit")
        );
        for bad in [
            "xy.example.gov.cn",
            "ftp://x",
            "https://",
            "https://a b",
            "https://x/?q=1",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
    }
}
