//! The screenshot tour: every page each role reaches from its 工作台 (and the public from the
//! portal's home page), the pages the HTTP tour (`tour::crawl`) finds, opened in headless
//! Chromium at 1366 px and at 390 px. It fails on any page wider than the window, and on any
//! serious or critical accessibility violation axe-core finds (WCAG 2.1 A and AA, which GB/T
//! 37668-2019 follows: labels, text alternatives, contrast, names of links and buttons, …) on
//! the public pages and on the console's pages. Each page's screenshot at both widths lands in
//! `target/browser-screenshots/tour/<part>/`.
//!
//! axe-core comes from npm (`crates/web/tests/axe/package.json`, installed by `.ci/run` with
//! `npm ci`). Without Chromium, or without axe-core, the test skips with a notice; under CI it
//! fails instead.

use std::path::{Path, PathBuf};
use std::time::Instant;

use fantoccini::Client;
use probity_domain::account::AccountRole;
use probity_testkit::{Accounts, Options, Server, backends};

use crate::browser::{Driver, browser_available, connect};

const WIDTHS: [(u32, u32); 2] = [(1366, 900), (390, 844)];

/// The impacts that fail the test; `moderate` and `minor` findings are reported, not fatal.
const FATAL: [&str; 2] = ["serious", "critical"];

fn axe_script() -> Option<String> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/axe/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(_) if std::env::var_os("CI").is_some() => panic!(
            "the accessibility check needs {} under CI: npm ci --prefix crates/web/tests/axe",
            path.display()
        ),
        Err(_) => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "browser tour skipped: run `npm ci --prefix crates/web/tests/axe` for axe-core"
            );
            None
        }
    }
}

/// This part's screenshots: `target/browser-screenshots/tour/<part>/`, emptied first (each part
/// its own, as the parts run side by side).
fn tour_dir(part: &str) -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp
        .parent()
        .unwrap_or(tmp)
        .join("browser-screenshots")
        .join("tour")
        .join(part);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// How many pages of one kind (`kind_of`) the tour opens.
const PER_KIND: usize = 2;

/// A page's kind: its path and its query's keys, each segment or value that names one thing (an
/// id, a USCC, a category code, a page number: it has a digit or is in capitals) as `#`, so that
/// `/subjects/11120116MB1E08BN54` and `/search?browse=1&category=HONOUR` stand for their kinds.
fn kind_of(path: &str) -> String {
    let names_one = |s: &str| {
        s.bytes().any(|b| b.is_ascii_digit())
            || (!s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
    };
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut out: Vec<String> = path
        .split('/')
        .map(|seg| {
            if names_one(seg) {
                "#".into()
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>();
    let mut keys: Vec<String> = query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if names_one(v) => format!("{k}=#"),
            Some((k, v)) => format!("{k}={v}"),
            None => kv.to_string(),
        })
        .collect();
    keys.sort();
    if !keys.is_empty() {
        out.push(format!("?{}", keys.join("&")));
    }
    out.join("/")
}

/// One visitor: who (a role, or the public), the session cookie to carry, the pages to open.
struct Visit {
    who: &'static str,
    session: Option<String>,
    pages: Vec<String>,
}

// The tour in three parts, each with its own database, server and Chromium, so that they run
// side by side (the credit office alone reaches about as many pages as the others together).

#[test]
fn the_credit_offices_pages_fit_both_widths_and_pass_axe() {
    tour_part("office", &[AccountRole::Admin], false);
}

#[test]
fn the_providers_and_units_pages_fit_both_widths_and_pass_axe() {
    tour_part("units", &[AccountRole::Provider, AccountRole::Unit], false);
}

#[test]
fn the_other_roles_and_the_public_pages_fit_both_widths_and_pass_axe() {
    tour_part(
        "others",
        &[
            AccountRole::Hr,
            AccountRole::Sysadmin,
            AccountRole::Secadmin,
            AccountRole::Auditor,
            AccountRole::Unassigned,
        ],
        true,
    );
}

/// Every role of `roles` is a part of the tour, and the public when `public`: the demo district,
/// an account per role, the pages each reaches (found over HTTP by `tour::crawl`), then each page
/// opened in Chromium at both widths.
fn tour_part(part: &str, roles: &[AccountRole], public: bool) {
    if !browser_available() {
        return;
    }
    let Some(axe) = axe_script() else { return };
    let shots = tour_dir(part);
    // What a page looks like does not depend on the database: SQLite only.
    let Some(b) = backends(&format!("browser_tour_{part}")).into_iter().next() else {
        return;
    };
    let started = Instant::now();
    let loaded = probity_app::demo::load_demo(&b.store, probity_app::today()).unwrap();
    assert!(matches!(loaded, probity_app::demo::DemoLoad::Loaded { .. }));
    let unenrolled: Vec<AccountRole> = roles
        .iter()
        .copied()
        .filter(|r| *r == AccountRole::Secadmin)
        .collect();
    let accounts = Accounts::create_unenrolled(&b.store, "shots", roles, &unenrolled);
    let server = Server::start_with(&b.store, Options::default());
    // The pages, found over HTTP (fast); the HTTP tour reports their status and codes.
    let mut visits = Vec::new();
    for &role in roles {
        let mut browser = server.browser_as(&accounts, role);
        let session = browser
            .cookies
            .iter()
            .find(|(n, _)| n == "probity_session")
            .map(|(_, v)| v.clone());
        let (pages, _) = crate::tour::crawl(&mut browser, "/console", role.code());
        visits.push(Visit {
            who: role.code(),
            session,
            pages,
        });
    }
    if public {
        let (pages, _) = crate::tour::crawl(&mut server.browser(), "/", "public");
        visits.push(Visit {
            who: "public",
            session: None,
            pages,
        });
    }
    // Pages of one kind (the same route with another id or page number) look alike: the first
    // two of each kind are opened, the rest listed as passed over.
    let mut passed_over = Vec::new();
    for v in &mut visits {
        let mut kinds: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        v.pages.retain(|p| {
            let n = kinds.entry(kind_of(p)).or_default();
            *n += 1;
            if *n > PER_KIND {
                passed_over.push(format!("{} {p}", v.who));
            }
            *n <= PER_KIND
        });
    }
    let listed: Vec<String> = visits
        .iter()
        .flat_map(|v| v.pages.iter().map(move |p| format!("{} {p}", v.who)))
        .collect();
    std::fs::write(
        shots.join("pages.txt"),
        format!(
            "opened:\n{}\n\npassed over (more of a kind):\n{}\n",
            listed.join("\n"),
            passed_over.join("\n")
        ),
    )
    .unwrap();
    let found = started.elapsed();

    let work = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver::start(work.path());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = server.base.clone();
    let outcome = rt.block_on(async {
        let c = connect(&driver.url, profile.path()).await;
        let r = tour(&c, &base, &visits, &axe, &shots).await;
        let _ = c.close().await;
        r
    });
    drop(rt);
    let (problems, opened, notes) = match outcome {
        Ok(x) => x,
        Err(e) => panic!(
            "{e}\n--- chromedriver log (tail) ---\n{}",
            driver.log_tail()
        ),
    };
    eprintln!(
        "browser tour ({part}): {opened} page views ({} pages, {} more of a kind passed over, found in {found:?}) in {:?}; {} moderate or minor accessibility findings; screenshots in {}",
        visits.iter().map(|v| v.pages.len()).sum::<usize>(),
        passed_over.len(),
        started.elapsed(),
        notes,
        shots.display()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Opens every page of every visitor at both widths. Returns the problems, the number of page
/// views, and the number of findings below `FATAL`.
async fn tour(
    c: &Client,
    base: &str,
    visits: &[Visit],
    axe: &str,
    shots: &Path,
) -> Result<(Vec<String>, usize, usize), String> {
    // The check itself: a page with an image without a text alternative and a field without a
    // label must be refused, or axe is not running.
    c.goto(&format!("{base}/healthz"))
        .await
        .map_err(|e| format!("{e}"))?;
    c.execute(
        "document.body.innerHTML = '<main><img src=\"/static/none.png\"><input name=\"q\"></main>';",
        vec![],
    )
    .await
    .map_err(|e| format!("{e}"))?;
    let (planted, _) = check_axe(c, axe).await?;
    let ids = ["image-alt", "label"];
    if !ids
        .iter()
        .all(|id| planted.iter().any(|p| p.starts_with(id)))
    {
        return Err(format!("axe did not find the planted faults: {planted:?}"));
    }
    let mut problems = Vec::new();
    let (mut opened, mut notes) = (0, 0);
    for v in visits {
        c.goto(&format!("{base}/healthz"))
            .await
            .map_err(|e| format!("{e}"))?;
        c.delete_all_cookies().await.map_err(|e| format!("{e}"))?;
        if let Some(token) = &v.session {
            // The session the harness opened for the role (its second factor already used).
            c.execute(
                "document.cookie = 'probity_session=' + arguments[0] + '; path=/; SameSite=Lax';",
                vec![serde_json::json!(token)],
            )
            .await
            .map_err(|e| format!("{e}"))?;
        }
        for (w, h) in WIDTHS {
            c.set_window_size(w, h).await.map_err(|e| format!("{e}"))?;
            for (i, path) in v.pages.iter().enumerate() {
                let url = format!("{base}{path}");
                c.goto(&url).await.map_err(|e| format!("{url}: {e}"))?;
                opened += 1;
                let at = format!("{} {path} at {w} px", v.who);
                let widths = c
                    .execute(
                        "return [document.documentElement.scrollWidth, window.innerWidth];",
                        vec![],
                    )
                    .await
                    .map_err(|e| format!("{at}: {e}"))?;
                let num = |i: usize| widths.get(i).and_then(|v| v.as_u64()).unwrap_or(0);
                if num(0) > num(1) {
                    problems.push(format!(
                        "{at}: {} px wide in a {}-px window",
                        num(0),
                        num(1)
                    ));
                }
                let png = c.screenshot().await.map_err(|e| format!("{at}: {e}"))?;
                let name = format!("{}-{i:02}-{w}.png", v.who);
                std::fs::write(shots.join(name), png).map_err(|e| e.to_string())?;
                if w == WIDTHS[0].0 {
                    let (fatal, minor) =
                        check_axe(c, axe).await.map_err(|e| format!("{at}: {e}"))?;
                    notes += minor;
                    problems.extend(fatal.into_iter().map(|f| format!("{at}: {f}")));
                }
            }
        }
    }
    Ok((problems, opened, notes))
}

/// Runs axe-core on the open page; returns the serious and critical violations (rule, impact,
/// help, the first elements) and the number of others.
async fn check_axe(c: &Client, axe: &str) -> Result<(Vec<String>, usize), String> {
    c.execute(axe, vec![])
        .await
        .map_err(|e| format!("axe: {e}"))?;
    let found = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
  .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 160)) }))))
  .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }]));"#,
            vec![],
        )
        .await
        .map_err(|e| format!("axe.run: {e}"))?;
    let mut fatal = Vec::new();
    let mut minor = 0;
    for v in found.as_array().cloned().unwrap_or_default() {
        let impact = v["impact"].as_str().unwrap_or("");
        if FATAL.contains(&impact) {
            fatal.push(format!(
                "{} ({impact}): {} — {}",
                v["id"].as_str().unwrap_or(""),
                v["help"].as_str().unwrap_or(""),
                v["nodes"]
                    .as_array()
                    .map(|n| n
                        .iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(" | "))
                    .unwrap_or_default()
            ));
        } else {
            minor += 1;
        }
    }
    Ok((fatal, minor))
}
