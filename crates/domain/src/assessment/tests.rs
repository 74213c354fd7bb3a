//! The shipped set and the validation of malformed sets, as the credit office would meet them.

use super::*;
use crate::error::Code;
use crate::subject::SubjectKind;

fn shipped_text() -> &'static str {
    SHIPPED.iter().find(|(y, _)| *y == 2026).unwrap().1
}

fn errors_of(text: &str) -> Vec<String> {
    let errs = IndicatorSet::parse(text).expect_err("the set should be refused");
    assert!(errs.iter().all(|e| e.code == Code::IndicatorSetInvalid));
    errs.into_iter().map(|e| e.message).collect()
}

fn assert_any(errs: &[String], parts: &[&str]) {
    assert!(
        errs.iter().any(|e| parts.iter().all(|p| e.contains(p))),
        "no error mentions all of {parts:?}: {errs:#?}"
    );
}

#[test]
fn the_shipped_set_parses_validates_and_has_six_by_thirty() {
    let set = IndicatorSet::shipped(2026).expect("a 2026 set is shipped");
    assert_eq!(set.year, 2026);
    assert_eq!(set.dimensions.len(), 6);
    assert_eq!(set.indicator_count(), 30);
    assert_eq!(set.total_points, Points::whole(100));
    let total: Points = set
        .dimensions
        .iter()
        .flat_map(|d| &d.indicators)
        .map(|i| i.max_points)
        .sum();
    assert_eq!(total, Points::whole(100));
    let names: Vec<&str> = set.dimensions.iter().map(|d| d.name.as_str()).collect();
    for principle in ["依法行政", "政务公开", "勤政高效", "守信践诺", "失信惩戒"]
    {
        assert!(names.contains(&principle), "{principle} missing: {names:?}");
    }
    let grades: Vec<&str> = set.grades.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(grades, ["优秀", "良好", "合格", "不合格"]);
    assert!(IndicatorSet::shipped(1999).is_none());
}

#[test]
fn the_shipped_set_computes_only_what_the_platform_can() {
    let set = IndicatorSet::shipped(2026).unwrap();
    for i in set.dimensions.iter().flat_map(|d| &d.indicators) {
        if let Some(m) = i.metric {
            assert!(m.is_available(), "{} uses {}", i.code, m.code());
            assert_eq!(i.sort, Sort::Computed);
        }
    }
    let (_, d404) = set.indicator("D4.04").unwrap();
    assert!(d404.applies(SubjectKind::Township, false));
    assert!(!d404.applies(SubjectKind::Department, true));
    let (_, d204) = set.indicator("D2.04").unwrap();
    assert!(!d204.applies(SubjectKind::Department, false));
    assert!(d204.applies(SubjectKind::Department, true));
}

#[test]
fn an_unknown_field_is_refused_with_its_line_and_indicator() {
    let text = shipped_text().replacen("sort = \"computed\"", "sort = \"computed\"\nweight = 3", 1);
    let errs = errors_of(&text);
    assert_eq!(errs.len(), 1);
    assert_any(&errs, &["未知字段 weight", "D2.04", "行"]);
    let line = text
        .lines()
        .position(|l| l == "weight = 3")
        .map(|n| n + 1)
        .unwrap();
    assert_any(&errs, &[&format!("第 {line} 行")]);
}

#[test]
fn an_unknown_metric_is_refused_naming_the_value_and_indicator() {
    let text = shipped_text().replacen(
        "metric = \"complaint_on_time_rate\"",
        "metric = \"complaint_speed\"",
        1,
    );
    let errs = errors_of(&text);
    assert_any(&errs, &["无法识别的取值 complaint_speed", "D3.01"]);
}

#[test]
fn weights_that_do_not_add_up_are_refused_naming_the_dimension() {
    // D1.01 from 4 to 5: D1's indicators add up to 21, not 20.
    let text = shipped_text().replacen(
        "max_points = 4\nsort = \"office_scored\"",
        "max_points = 5\nsort = \"office_scored\"",
        1,
    );
    let errs = errors_of(&text);
    assert_any(&errs, &["维度 D1「依法行政」", "合计 21 分", "20 分"]);
    // D2 from 15 to 16: the dimensions add up to 101.
    let text = shipped_text().replacen("max_points = 15", "max_points = 16", 1);
    let errs = errors_of(&text);
    assert_any(&errs, &["各维度分值合计 101 分", "总分 100 分"]);
    assert_any(&errs, &["维度 D2「政务公开」", "合计 15 分", "16 分"]);
}

#[test]
fn a_duplicate_code_is_refused() {
    let text = shipped_text().replacen("code = \"D1.02\"", "code = \"D1.01\"", 1);
    assert_any(&errors_of(&text), &["D1.01", "重复"]);
}

#[test]
fn bands_out_of_order_overlapping_or_with_gaps_are_refused() {
    let overlap = shipped_text().replacen(
        "{ from = 80, to = 90, points = 1 },",
        "{ from = 75, to = 90, points = 1 },",
        1,
    );
    assert_any(&errors_of(&overlap), &["D2.04", "第 1 档与第 2 档重叠"]);
    let gap = shipped_text().replacen(
        "{ from = 80, to = 90, points = 1 },",
        "{ from = 85, to = 90, points = 1 },",
        1,
    );
    assert_any(&errors_of(&gap), &["D2.04", "空档", "80%–85%"]);
    let short = shipped_text().replacen(
        "{ from = 95, to = 100, points = 3 },",
        "{ from = 95, to = 99, points = 3 },",
        1,
    );
    assert_any(&errors_of(&short), &["D2.04", "0%–100%"]);
    let too_many_points = shipped_text().replacen(
        "{ from = 95, to = 100, points = 3 },",
        "{ from = 95, to = 100, points = 5 },",
        1,
    );
    assert_any(
        &errors_of(&too_many_points),
        &["D2.04", "第 4 档", "0–3 分"],
    );
}

#[test]
fn a_veto_naming_an_unknown_grade_is_refused() {
    let text = shipped_text().replacen("at_most = \"合格\"", "at_most = \"基本合格\"", 1);
    assert_any(
        &errors_of(&text),
        &["否决规则", "基本合格", "不在本指标体系的等次中"],
    );
}

#[test]
fn grade_cut_offs_must_descend_to_zero() {
    let text = shipped_text().replacen("min_points = 80", "min_points = 95", 1);
    assert_any(&errors_of(&text), &["良好", "应低于上一等次「优秀」"]);
    let text = shipped_text().replacen("min_points = 0", "min_points = 10", 1);
    assert_any(&errors_of(&text), &["不合格", "应为 0 分"]);
}

#[test]
fn an_indicator_for_no_unit_type_or_an_unassessed_one_is_refused() {
    let text = shipped_text().replacen("applies_to = [\"township\"]", "applies_to = []", 1);
    assert_any(&errors_of(&text), &["D4.04", "未指明适用的单位类型"]);
    let text = shipped_text().replacen(
        "applies_to = [\"township\"]",
        "applies_to = [\"civil_servant\"]",
        1,
    );
    assert_any(&errors_of(&text), &["D4.04", "公务员不是考核对象"]);
}

#[test]
fn a_computed_indicator_needs_a_metric_it_can_compute_and_a_rule_that_fits() {
    let text = shipped_text().replacen(
        "metric = \"reporting_timeliness\"",
        "metric = \"training_coverage_rate\"",
        1,
    );
    assert_any(
        &errors_of(&text),
        &["D2.04", "training_coverage_rate", "尚不能计算"],
    );
    let text = shipped_text().replacen(
        "metric = \"reporting_timeliness\"",
        "metric = \"complaints_upheld\"",
        1,
    );
    assert_any(
        &errors_of(&text),
        &["D2.04", "bands 不适用于度量 complaints_upheld"],
    );
    let text = shipped_text().replacen("per_item = 1\ncap = 3", "per_item = 1\ncap = 4", 1);
    assert_any(&errors_of(&text), &["D3.03", "扣分上限 4 分"]);
    let text = shipped_text().replacen("sort = \"office_scored\"", "sort = \"computed\"", 1);
    assert_any(&errors_of(&text), &["D1.01", "须指明度量"]);
}

#[test]
fn every_problem_comes_back_at_once() {
    let text = shipped_text()
        .replacen("code = \"D1.02\"", "code = \"D1.01\"", 1)
        .replacen("at_most = \"合格\"", "at_most = \"基本合格\"", 1)
        .replacen("applies_to = [\"township\"]", "applies_to = []", 1);
    assert!(errors_of(&text).len() >= 3);
}

fn shipped_set() -> IndicatorSet {
    IndicatorSet::shipped(2026).unwrap()
}

#[test]
fn the_grade_follows_the_cut_offs() {
    let set = shipped_set();
    let g = |n: i64| {
        grade(&set, Points::whole(n), &[])
            .unwrap()
            .grade
            .name
            .clone()
    };
    assert_eq!(g(100), "优秀");
    assert_eq!(g(90), "优秀");
    assert_eq!(g(89), "良好");
    assert_eq!(g(60), "合格");
    assert_eq!(g(59), "不合格");
    assert_eq!(g(0), "不合格");
}

#[test]
fn a_grave_record_bars_excellent_and_an_overdue_rectification_caps_at_pass() {
    let set = shipped_set();
    let grave = Fact {
        fact: VetoFact::GraveDishonestRecord,
        evidence: Evidence::Record(42),
    };
    let out = grade(&set, Points::whole(95), &[grave]).unwrap();
    assert_eq!(out.by_points.name, "优秀");
    assert_eq!(out.grade.name, "良好");
    assert_eq!(out.vetoes.len(), 1);
    assert_eq!(out.vetoes[0].evidence, vec![Evidence::Record(42)]);

    let overdue = Fact {
        fact: VetoFact::OverdueRectification,
        evidence: Evidence::Case(7),
    };
    let out = grade(&set, Points::whole(95), &[grave, overdue]).unwrap();
    assert_eq!(out.grade.name, "合格");
    // A veto above the grade the points earn changes nothing and is not listed.
    let out = grade(&set, Points::whole(70), &[grave]).unwrap();
    assert_eq!(out.grade.name, "合格");
    assert!(out.vetoes.is_empty());
}
