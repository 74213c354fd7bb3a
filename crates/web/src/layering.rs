//! The shape of this crate, checked: which module may use which. `cargo test -p probity-web
//! layering` fails when a change ties the modules into a knot again.
//!
//! - The top-level modules form no cycle: `http` and `error` are leaves; `auth` uses only the
//!   leaves and `extract`; `api`, `pages` and `public` use those and never each other (the public
//!   side may use the pages' kit, nothing else of the pages).
//! - Within `pages`, a page uses `pages::kit` and no other page; within `api`, a resource uses
//!   `api::views` and no other resource. The parents (`mod.rs`) only wire routers together.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src`, with its module path (`pages::records`; `mod.rs` names its
/// directory, `lib.rs` the root "").
fn modules(src: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = p.strip_prefix(src).unwrap().with_extension("");
            let mut segs: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if segs.last().is_some_and(|s| s == "mod" || s == "lib") {
                segs.pop();
            }
            out.push((segs.join("::"), p));
        }
    }
    out
}

/// The paths a file names from the crate root, `use` lists expanded (`crate::a::{b, c::D}`), and
/// `super::` resolved against the file's own module.
fn references(text: &str, module: &str, is_dir_module: bool) -> Vec<Vec<String>> {
    // Comments are not code.
    let code: String = text
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let starts = code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
        .map(|(at, m)| (at, m.len(), m == "super::"));
    for (at, skip, is_super) in starts {
        // Part of a longer word (`my_crate::`) is not a path of ours.
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
            continue;
        }
        // `super` of `pages::records` is `pages`; of the directory module `pages` it is the root.
        let mut base: Vec<String> = Vec::new();
        if is_super {
            base = module
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            if !is_dir_module || !base.is_empty() {
                base.pop();
            }
        }
        let (paths, _) = parse_tree(&code[at + skip..]);
        for p in paths {
            let mut full = base.clone();
            full.extend(p);
            out.push(full);
        }
    }
    out
}

/// Parses `a::b::{c, d::{e}}` (or a plain path) into its leaf paths; returns them and the
/// length read.
fn parse_tree(s: &str) -> (Vec<Vec<String>>, usize) {
    let b = s.as_bytes();
    let mut i = 0;
    let mut prefix = Vec::new();
    loop {
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        if i > start {
            prefix.push(s[start..i].to_string());
        }
        // `crate::{…}` opens its list at once; `a::{…}` after a segment.
        let list_now = start == 0 && i == 0 && s.starts_with('{');
        if list_now || s[i..].starts_with("::") {
            if !list_now {
                i += 2;
            }
            if s[i..].starts_with('{') {
                i += 1;
                let mut all = Vec::new();
                loop {
                    while i < b.len() && (b[i] as char).is_whitespace() {
                        i += 1;
                    }
                    if i >= b.len() || b[i] == b'}' {
                        i += 1;
                        break;
                    }
                    let (inner, used) = parse_tree(&s[i..]);
                    for p in inner {
                        let mut full = prefix.clone();
                        full.extend(p);
                        all.push(full);
                    }
                    i += used;
                    // Skip an `as alias` and the comma.
                    while i < b.len() && b[i] != b',' && b[i] != b'}' {
                        i += 1;
                    }
                    if i < b.len() && b[i] == b',' {
                        i += 1;
                    }
                }
                return (all, i);
            }
            continue;
        }
        return (vec![prefix], i);
    }
}

/// Which module of the crate a path from the root lands in: the longest prefix that is one.
fn target(path: &[String], known: &BTreeSet<String>) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| known.contains(m))
}

fn top(m: &str) -> &str {
    m.split("::").next().unwrap_or("")
}

/// Every edge `from → to` between the modules of the crate (the root excluded).
fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mods = modules(&src);
    let known: BTreeSet<String> = mods.iter().map(|(m, _)| m.clone()).collect();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, path) in &mods {
        if m.is_empty() || m == "layering" {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let dir_module = path.file_name().is_some_and(|f| f == "mod.rs");
        for r in references(&text, m, dir_module) {
            if let Some(t) = target(&r, &known)
                && !t.is_empty()
                && &t != m
            {
                out.entry(m.clone()).or_default().insert(t);
            }
        }
    }
    out
}

/// A cycle in `graph`, if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(1) => {
                let at = path.iter().position(|p| p == n).unwrap_or(0);
                let mut c = path[at..].to_vec();
                c.push(n.to_string());
                return Some(c);
            }
            Some(2) => return None,
            _ => {}
        }
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for next in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, g, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if let Some(c) = visit(n, graph, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_top_level_modules_form_no_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, tos) in edges() {
        for to in tos {
            if top(&from) != top(&to) {
                graph
                    .entry(top(&from).to_string())
                    .or_default()
                    .insert(top(&to).to_string());
            }
        }
    }
    assert!(
        cycle(&graph).is_none(),
        "import cycle: {:?}\n{graph:#?}",
        cycle(&graph)
    );
    for leaf in ["http", "error"] {
        let uses: Vec<_> = graph
            .get(leaf)
            .into_iter()
            .flatten()
            .filter(|t| t.as_str() != "error")
            .collect();
        assert!(
            uses.is_empty(),
            "{leaf} must stay a leaf, but uses {uses:?}"
        );
    }
    for side in ["api", "pages"] {
        let other = if side == "api" { "pages" } else { "api" };
        assert!(
            !graph
                .get(side)
                .is_some_and(|t| t.contains(other) || t.contains("public")),
            "{side} uses another side: {:?}",
            graph.get(side)
        );
    }
}

#[test]
fn pages_and_resources_use_their_kit_not_each_other() {
    for (from, tos) in edges() {
        for to in tos {
            let (Some((fp, _)), Some((tp, tc))) = (from.split_once("::"), to.split_once("::"))
            else {
                continue;
            };
            if fp == tp {
                let shared = if fp == "api" { "views" } else { "kit" };
                assert_eq!(tc, shared, "{from} uses its sibling {to}");
            }
        }
    }
}

/// The checker itself sees what it must: a nested `use` list, `super::`, a comment ignored.
#[test]
fn the_checker_reads_paths_as_written() {
    let refs = references(
        "use crate::{auth::Caller, http::{done, PageQuery as Q}};\n// crate::public::x\nfn f() { super::kit::Ctx::new(); }",
        "pages::records",
        false,
    );
    let refs: Vec<String> = refs.iter().map(|r| r.join("::")).collect();
    assert!(refs.contains(&"auth::Caller".to_string()), "{refs:?}");
    assert!(refs.contains(&"http::done".to_string()), "{refs:?}");
    assert!(refs.contains(&"http::PageQuery".to_string()), "{refs:?}");
    assert!(
        refs.contains(&"pages::kit::Ctx::new".to_string()),
        "{refs:?}"
    );
    assert!(!refs.iter().any(|r| r.starts_with("public")), "{refs:?}");
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("a".into());
    assert!(cycle(&g).is_some());
}
