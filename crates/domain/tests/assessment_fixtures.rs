//! Fixture-driven tests of the yearly assessment (cardinal's habit): each directory under
//! `tests/fixtures/assessment/` holds a unit's data (`input.toml`: the period, the day of
//! computing, the unit's facts and the entries given by hand), optionally its own indicator set
//! (`set.toml`; the shipped 2026 set otherwise), and the expected result as the score page
//! would explain it (`expected.txt`). `BLESS=1 cargo test --test assessment_fixtures` rewrites
//! the expected files; read the diff before committing it.

use std::fmt::Write;
use std::path::Path;

use chrono::NaiveDate;
use probity_domain::assessment::{
    Entry, Evidence, IndicatorSet, Period, PeriodKind, Status, UnitAssessment, UnitFacts,
    assess_unit,
};
use probity_domain::statistics::StatisticsRules;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    year: i32,
    period: PeriodKind,
    today: NaiveDate,
    facts: UnitFacts,
    #[serde(default)]
    entries: Vec<Entry>,
}

fn evidence(e: &Evidence) -> String {
    match e {
        Evidence::Record(id) => format!(" [记录 {id}]"),
        Evidence::Case(id) => format!(" [案件 {id}]"),
        Evidence::Entry(id) => format!(" [评分 {id}]"),
        Evidence::None => String::new(),
    }
}

fn render(set: &IndicatorSet, period: Period, a: &UnitAssessment) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} · {} · {}", a.name, period.label(), set.name);
    let _ = writeln!(
        out,
        "总分 {} / {} · {} · 等次 {}{}",
        a.total.points,
        a.total.max,
        a.total.status.label(),
        a.grade.as_deref().unwrap_or("暂不定等次"),
        match &a.by_points {
            Some(b) if Some(b) != a.grade.as_ref() => format!("（按分数为 {b}）"),
            _ => String::new(),
        }
    );
    for v in &a.vetoes {
        let ev: String = v.evidence.iter().map(evidence).collect();
        let _ = writeln!(out, "限制：最高 {} · {}{ev}", v.at_most, v.reason);
    }
    for d in &a.total.dimensions {
        let name = &set
            .dimensions
            .iter()
            .find(|x| x.code == d.code)
            .unwrap()
            .name;
        let _ = writeln!(
            out,
            "{} {name} {} / {} · {}",
            d.code,
            d.points,
            d.max,
            d.status.label()
        );
        for (code, r) in &d.indicators {
            let (_, i) = set.indicator(code).unwrap();
            let points = match r.status() {
                Status::Calculated => format!("{} / {}", r.points(), r.max()),
                _ => format!("— / {}", r.max()),
            };
            let note = r.note().map(|n| format!("：{n}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "  {code} {} {points} · {}{note}",
                i.name,
                r.status().label()
            );
            if r.is_calculated() && r.base() != probity_domain::assessment::Points::ZERO {
                let _ = writeln!(out, "    基础分 {}", r.base());
            }
            for l in r.lines() {
                let sign = if l.points.hundredths() >= 0 { "+" } else { "" };
                let _ = writeln!(
                    out,
                    "    {sign}{} {}{}",
                    l.points,
                    l.reason,
                    evidence(&l.evidence)
                );
            }
        }
    }
    out
}

#[test]
fn every_fixture_gives_its_expected_result() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/assessment");
    let bless = std::env::var_os("BLESS").is_some();
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 4, "the fixtures are missing: {dirs:?}");
    let mut failed = Vec::new();
    for dir in &dirs {
        let input: Input =
            toml::from_str(&std::fs::read_to_string(dir.join("input.toml")).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let set = match std::fs::read_to_string(dir.join("set.toml")) {
            Ok(text) => IndicatorSet::parse(&text)
                .unwrap_or_else(|e| panic!("{}: set.toml: {e:?}", dir.display())),
            Err(_) => IndicatorSet::shipped(input.year).unwrap(),
        };
        let period = Period::new(input.year, input.period).unwrap();
        let a = assess_unit(
            &set,
            period,
            input.today,
            StatisticsRules::default(),
            &input.facts,
            &input.entries,
        );
        assert!(a.is_consistent(), "{}: lines do not add up", dir.display());
        let got = render(&set, period, &a);
        let path = dir.join("expected.txt");
        if bless {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            failed.push(format!("── {} ──\n{}", dir.display(), diff(&want, &got)));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// The lines that differ, expected (-) and got (+).
fn diff(want: &str, got: &str) -> String {
    let w: Vec<&str> = want.lines().collect();
    let g: Vec<&str> = got.lines().collect();
    let mut out = String::new();
    for i in 0..w.len().max(g.len()) {
        match (w.get(i), g.get(i)) {
            (Some(a), Some(b)) if a == b => {}
            (a, b) => {
                if let Some(a) = a {
                    let _ = writeln!(out, "- {a}");
                }
                if let Some(b) = b {
                    let _ = writeln!(out, "+ {b}");
                }
            }
        }
    }
    out
}
