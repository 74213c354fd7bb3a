//! The screenshot tour: every page each role reaches from its 工作台 (and the public from the
//! portal's home page), the pages the HTTP tour (`tour::crawl`) finds, opened in headless
//! Chromium at 1366 px and at 390 px. It fails on any page wider than the window, and on any
//! serious or critical accessibility violation axe-core finds (WCAG 2.1 A and AA, which GB/T
//! 37668-2019 follows: labels, text alternatives, contrast, names of links and buttons, …) on
//! the public pages and on the console's pages. Each page's screenshot at both widths lands in
//! `target/browser-screenshots/tour/`.
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

fn tour_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp
        .parent()
        .unwrap_or(tmp)
        .join("browser-screenshots")
        .join("tour");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One visitor: who (a role, or the public), the session cookie to carry, the pages to open.
struct Visit {
    who: &'static str,
    session: Option<String>,
    pages: Vec<String>,
}

#[test]
fn every_page_of_every_role_fits_both_widths_and_passes_axe() {
    if !browser_available() {
        return;
    }
    let Some(axe) = axe_script() else { return };
    let shots = tour_dir();
    // What a page looks like does not depend on the database: SQLite only.
    let Some(b) = backends("browser_tour").into_iter().next() else {
        return;
    };
    let started = Instant::now();
    let loaded = probity_app::demo::load_demo(&b.store, probity_app::today()).unwrap();
    assert!(matches!(loaded, probity_app::demo::DemoLoad::Loaded { .. }));
    let accounts = Accounts::create_unenrolled(
        &b.store,
        "shots",
        &AccountRole::ALL,
        &[AccountRole::Secadmin],
    );
    let server = Server::start_with(&b.store, Options::default());
    // The pages, found over HTTP (fast); the HTTP tour reports their status and codes.
    let mut visits = Vec::new();
    for role in AccountRole::ALL {
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
    let (pages, _) = crate::tour::crawl(&mut server.browser(), "/", "public");
    visits.push(Visit {
        who: "public",
        session: None,
        pages,
    });
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
        "browser tour: {opened} page views ({} pages found in {found:?}) in {:?}; {} moderate or minor accessibility findings; screenshots in {}",
        visits.iter().map(|v| v.pages.len()).sum::<usize>(),
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
