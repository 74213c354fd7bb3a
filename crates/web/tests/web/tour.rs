//! A tour of every page each role can reach from its 工作台, on the demo district: every link a
//! page shows is followed (one of each kind), and none answers 4xx or 5xx; no page shows an
//! internal code (`[A-Z_]{4,}` in its visible text outside `<code>`), nor `provider:` or
//! `admin:` account references. (The browser test checks the widths at 390 px.)

use std::collections::{BTreeSet, VecDeque};

use probity_domain::account::AccountRole;
use probity_testkit::{Accounts, Options, Server, backends};
use reqwest::StatusCode;

/// Pages visited per role at most (one of each kind of link).
const MAX_PAGES: usize = 80;

#[test]
fn every_page_of_every_role_works_and_names_things() {
    for b in backends("tour") {
        let name = b.name;
        let loaded = probity_app::demo::load_demo(&b.store, probity_app::today()).unwrap();
        assert!(matches!(loaded, probity_app::demo::DemoLoad::Loaded { .. }));
        let accounts = Accounts::create_unenrolled(
            &b.store,
            "tour",
            &AccountRole::ALL,
            &[AccountRole::Secadmin],
        );
        let s = Server::start_with(&b.store, Options::default());
        let mut problems = Vec::new();
        // Every role from its 工作台, then the public from the portal's home page.
        let visitors = AccountRole::ALL
            .into_iter()
            .map(|r| (Some(r), "/console"))
            .chain(std::iter::once((None, "/")));
        for (role, start) in visitors {
            let mut browser = match role {
                Some(r) => s.browser_as(&accounts, r),
                None => s.browser(),
            };
            let role_name = role.map_or("public", |r| r.code());
            let (visited, found) = crawl(&mut browser, start, &format!("[{name}] {role_name}"));
            problems.extend(found);
            assert!(
                visited.len() >= 2 || role == Some(AccountRole::Unassigned),
                "[{name}] {role_name} saw {visited:?}"
            );
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}

/// Walks the pages reachable from `start` (one of each kind, at most `MAX_PAGES`), and returns
/// the HTML pages that answered 200 in the order seen, and every problem: a 4xx or 5xx, an
/// internal code shown. The browser test visits the same pages in Chromium.
pub(crate) fn crawl(
    browser: &mut probity_testkit::browser::Browser,
    start: &str,
    who: &str,
) -> (Vec<String>, Vec<String>) {
    let (mut pages, mut problems) = (Vec::new(), Vec::new());
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([(start.to_string(), "首页".to_string())]);
    let mut visited = 0;
    while let Some((path, from)) = queue.pop_front() {
        if visited >= MAX_PAGES || !seen.insert(kind_of(&path)) {
            continue;
        }
        visited += 1;
        let page = browser.get(&path);
        let who = format!("{who} {path} (linked from {from})");
        if page.status.is_redirection() {
            queue.push_back((page.location(), path.clone()));
            continue;
        }
        if page.status != StatusCode::OK {
            problems.push(format!("{who}: {}", page.status));
            continue;
        }
        let is_html = page
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if !is_html {
            continue;
        }
        for code in internal_codes(&page.body) {
            problems.push(format!("{who}: shows {code:?}"));
        }
        for link in links(&page.body) {
            queue.push_back((link, path.clone()));
        }
        pages.push(path);
    }
    (pages, problems)
}

/// A page's kind: its path and query with every number as `N`, so that one record page stands
/// for all of them.
fn kind_of(path: &str) -> String {
    let mut out = String::new();
    let mut digits = false;
    for c in path.chars() {
        if c.is_ascii_digit() {
            if !digits {
                out.push('N');
            }
            digits = true;
        } else {
            digits = false;
            out.push(c);
        }
    }
    out
}

/// The same-site pages a page links to: no downloads, no API, no logout, no anchors.
fn links(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find("href=\"") {
        rest = &rest[i + 6..];
        let Some(end) = rest.find('"') else { break };
        let href = rest[..end].replace("&amp;", "&").replace("&#38;", "&");
        rest = &rest[end..];
        let path = href.split('#').next().unwrap_or("");
        if !path.starts_with('/')
            || path.starts_with("//")
            || path.starts_with("/static/")
            || path.starts_with("/api/")
            || path.starts_with("/logout")
            || [".xlsx", ".csv", ".json", ".png", ".svg"]
                .iter()
                .any(|x| path.split('?').next().unwrap_or("").ends_with(x))
        {
            continue;
        }
        out.push(path.to_string());
    }
    out
}

/// What reads as an internal code in a page's visible text: a run of four or more capitals
/// and underscores, `provider:` or `admin:`. Tags, scripts, styles and `<code>` (secrets and
/// identifiers shown to be copied) are not visible text here.
fn internal_codes(html: &str) -> Vec<String> {
    let text = visible_text(html);
    let mut found = BTreeSet::new();
    for needle in ["provider:", "admin:"] {
        if text.contains(needle) {
            found.insert(needle.to_string());
        }
    }
    let mut run = String::new();
    // Whether the run began inside a word of letters and digits.
    let (mut inside, mut prev) = (false, ' ');
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_uppercase() || c == '_' {
            if run.is_empty() {
                inside = prev.is_ascii_alphanumeric();
            }
            run.push(c);
        } else {
            // A run inside a longer word of letters and digits (a USCC, a base32 secret) is an
            // identifier, not a code.
            if run.chars().count() >= 4 && !inside && !c.is_ascii_alphanumeric() {
                found.insert(run.clone());
            }
            run.clear();
        }
        prev = c;
    }
    found.into_iter().collect()
}

fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        out.push(' ');
        rest = &rest[i..];
        let skip_to = ["<script", "<style", "<code", "<title", "<svg"]
            .iter()
            .find(|t| rest.starts_with(**t))
            .map(|t| format!("</{}>", &t[1..]));
        match skip_to {
            Some(close) => match rest.find(&close) {
                Some(j) => rest = &rest[j + close.len()..],
                None => rest = "",
            },
            None => match rest.find('>') {
                Some(j) => rest = &rest[j + 1..],
                None => rest = "",
            },
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn the_code_finder_finds_codes_not_identifiers() {
    assert_eq!(
        internal_codes("<p>类别 PAYMENT_ARREARS 的</p><code>JBSWY3DPEHPK3PXP</code>"),
        ["PAYMENT_ARREARS"]
    );
    assert!(
        internal_codes("<td>11120116MB1QN677XX</td><td>1112011PYXC</td><a href=\"/x?c=ADMIN_PENALTY\">行政处罚</a>")
            .is_empty()
    );
    assert_eq!(
        internal_codes("<td>provider:caizhengju</td>"),
        ["provider:"]
    );
    assert_eq!(
        kind_of("/console/records/123?page=45"),
        "/console/records/N?page=N"
    );
}
