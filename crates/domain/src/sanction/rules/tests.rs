use super::*;
use crate::catalog::default_catalog;

fn catalog() -> Catalog {
    Catalog::new(default_catalog())
}

const HONOUR_RULE: &str = r#"
[[rule]]
code = "UNIT_HONOUR_INELIGIBLE"
name = "单位存在有效的政务失信记录的，当年取消荣誉评选资格"
basis = "津滨政发〔2018〕31号"
target = "unit"
purposes = ["honour"]
measures = ["HONOUR_INELIGIBLE"]

[rule.trigger]
kind = "records"
record_kind = "dishonest"
when = "in_force"
"#;

fn refused(text: &str) -> String {
    let errors = Rules::from_toml(text, &Measures::shipped(), &catalog()).unwrap_err();
    assert!(!errors.is_empty());
    assert!(errors.iter().all(|e| e.code == Code::SanctionRuleInvalid));
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_shipped_rules_read_and_validate_on_the_default_catalog() {
    let rules = Rules::shipped(&Measures::shipped(), &catalog()).unwrap();
    let codes: Vec<&str> = rules.all().iter().map(|r| r.code()).collect();
    assert_eq!(
        codes,
        [
            "CIVIL_SERVANT_NOT_EXCELLENT",
            "UNIT_HONOUR_INELIGIBLE",
            "UNIT_GRAVE_PILOT_CAUTION",
            "UNIT_CLEAN_PRIORITY",
            "UNIT_GRADE_FAILED",
            "UNIT_GRADE_EXCELLENT",
            "UNIT_RECTIFICATION_OVERDUE"
        ]
    );
    let first = rules.all()[0].config();
    assert_eq!(first.target, Target::CivilServant);
    assert_eq!(first.purposes, [Purpose::ExcellentRating]);
    assert_eq!(
        first.trigger,
        Trigger::Records(RecordTrigger {
            record_kind: RecordKind::Dishonest,
            categories: None,
            severities: None,
            when: When::DecidedOrInForce,
            exemption_lifts: true,
        })
    );
}

#[test]
fn one_rule_reads() {
    let rules = Rules::from_toml(HONOUR_RULE, &Measures::shipped(), &catalog()).unwrap();
    assert_eq!(rules.all().len(), 1);
    assert!(rules.all()[0].config().enabled, "enabled by default");
}

#[test]
fn an_unknown_field_is_refused_naming_the_rule() {
    let text = HONOUR_RULE.replace("purposes =", "lasts = 3\npurposes =");
    let all = refused(&text);
    assert!(all.contains("第 1 条（UNIT_HONOUR_INELIGIBLE）"), "{all}");
    assert!(all.contains("lasts"), "{all}");
}

#[test]
fn an_unknown_field_of_the_trigger_is_refused() {
    let text = format!("{HONOUR_RULE}grade = \"优秀\"\n");
    let all = refused(&text);
    assert!(all.contains("第 1 条（UNIT_HONOUR_INELIGIBLE）"), "{all}");
    assert!(all.contains("grade"), "{all}");
}

#[test]
fn an_unknown_trigger_kind_or_purpose_is_refused() {
    let all = refused(&HONOUR_RULE.replace("kind = \"records\"", "kind = \"grade\""));
    assert!(all.contains("grade"), "{all}");
    let all = refused(&HONOUR_RULE.replace("[\"honour\"]", "[\"promotion\"]"));
    assert!(all.contains("promotion"), "{all}");
}

#[test]
fn an_unknown_measure_is_refused() {
    let all = refused(&HONOUR_RULE.replace("[\"HONOUR_INELIGIBLE\"]", "[\"NO_SUCH\"]"));
    assert!(
        all.contains("第 1 条（UNIT_HONOUR_INELIGIBLE）：措施清单中没有措施 NO_SUCH"),
        "{all}"
    );
}

#[test]
fn an_unknown_category_or_one_of_the_wrong_kind_is_refused() {
    let text = format!("{HONOUR_RULE}categories = [\"NO_SUCH\", \"HONOUR\", \"ADMIN_PENALTY\"]\n");
    let all = refused(&text);
    assert!(all.contains("目录中没有记录类别 NO_SUCH"), "{all}");
    assert!(
        all.contains("记录类别 HONOUR（表彰奖励）是守信类别"),
        "{all}"
    );
    assert!(!all.contains("ADMIN_PENALTY"), "{all}");
}

#[test]
fn an_empty_list_is_refused_rather_than_read_as_everything() {
    let all = refused(&format!("{HONOUR_RULE}categories = []\n"));
    assert!(all.contains("记录类别列表为空"), "{all}");
    let all = refused(&format!("{HONOUR_RULE}severities = []\n"));
    assert!(all.contains("严重程度列表为空"), "{all}");
    let all = refused(&HONOUR_RULE.replace("[\"honour\"]", "[]"));
    assert!(all.contains("未指明适用的核查用途"), "{all}");
    let all = refused(&HONOUR_RULE.replace("[\"HONOUR_INELIGIBLE\"]", "[]"));
    assert!(all.contains("未指明措施"), "{all}");
}

#[test]
fn a_measure_for_another_target_is_refused() {
    let all = refused(&HONOUR_RULE.replace("[\"HONOUR_INELIGIBLE\"]", "[\"NOT_EXCELLENT\"]"));
    assert!(all.contains("适用于公务员，而规则适用于单位"), "{all}");
}

#[test]
fn sanctions_and_rewards_do_not_mix_and_a_clean_year_earns_no_sanction() {
    let all = refused(&HONOUR_RULE.replace(
        "[\"HONOUR_INELIGIBLE\"]",
        "[\"HONOUR_INELIGIBLE\", \"HONOUR_PRIORITY\"]",
    ));
    assert!(all.contains("同为惩戒措施或同为激励措施"), "{all}");
    let clean = HONOUR_RULE
        .replace("kind = \"records\"", "kind = \"clean\"")
        .replace("record_kind = \"dishonest\"\n", "");
    let all = refused(&clean);
    assert!(all.contains("只能对应激励措施"), "{all}");
}

#[test]
fn a_trustworthy_trigger_takes_no_severity() {
    let text = HONOUR_RULE
        .replace("\"HONOUR_INELIGIBLE\"", "\"HONOUR_PRIORITY\"")
        .replace("\"dishonest\"", "\"trustworthy\"");
    Rules::from_toml(&text, &Measures::shipped(), &catalog()).unwrap();
    let all = refused(&format!("{text}severities = [\"grave\"]\n"));
    assert!(all.contains("守信记录没有严重程度"), "{all}");
}

#[test]
fn every_problem_is_reported_at_once_each_naming_its_rule() {
    let second = HONOUR_RULE.replace("[\"HONOUR_INELIGIBLE\"]", "[\"NO_SUCH\"]");
    let third = HONOUR_RULE
        .replace("UNIT_HONOUR_INELIGIBLE", "THIRD")
        .replace("when = \"in_force\"", "when = \"sometimes\"");
    let text = format!("{HONOUR_RULE}{second}{third}");
    let all = refused(&text);
    assert!(
        all.contains("第 2 条（UNIT_HONOUR_INELIGIBLE）：代码重复"),
        "{all}"
    );
    assert!(
        all.contains("第 2 条（UNIT_HONOUR_INELIGIBLE）：措施清单中没有措施 NO_SUCH"),
        "{all}"
    );
    assert!(all.contains("第 3 条（THIRD）"), "{all}");
    assert!(all.contains("sometimes"), "{all}");
    assert_eq!(all.lines().count(), 3, "{all}");
}

#[test]
fn a_document_with_other_top_level_keys_is_refused() {
    let all = refused(&format!("version = 2\n{HONOUR_RULE}"));
    assert!(all.contains("未知的字段 version"), "{all}");
}

#[test]
fn rules_in_memory_are_checked_the_same_way() {
    let rules = Rules::from_toml(HONOUR_RULE, &Measures::shipped(), &catalog()).unwrap();
    let mut config = rules.all()[0].config().clone();
    config.measures = vec!["NO_SUCH".into()];
    let errors = Rules::new(vec![config], &Measures::shipped(), &catalog()).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, Code::SanctionRuleInvalid);
}

#[test]
fn a_grade_or_rectification_rule_is_for_units_and_names_its_grades() {
    let text = r#"
[[rule]]
code = "CS_GRADE"
name = "公务员考核等次"
basis = "依据"
target = "civil_servant"
purposes = ["excellent_rating"]
measures = ["NOT_EXCELLENT"]

[rule.trigger]
kind = "grade"
grades = []
of_year = "check_year"

[[rule]]
code = "OVERDUE_REWARD"
name = "逾期整改奖励"
basis = "依据"
target = "unit"
purposes = ["honour"]
measures = ["HONOUR_PRIORITY"]

[rule.trigger]
kind = "overdue_rectification"

[[rule]]
code = "BAD_YEAR"
name = "等次年份"
basis = "依据"
target = "unit"
purposes = ["honour"]
measures = ["HONOUR_PRIORITY"]

[rule.trigger]
kind = "grade"
grades = ["优秀"]
of_year = "next_year"
"#;
    let m = refused(text);
    assert!(
        m.contains("第 1 条（CS_GRADE）：考核等次只适用于单位"),
        "{m}"
    );
    assert!(m.contains("第 1 条（CS_GRADE）：未指明考核等次"), "{m}");
    assert!(
        m.contains("第 2 条（OVERDUE_REWARD）：逾期未整改的情形只能对应惩戒措施"),
        "{m}"
    );
    assert!(m.contains("BAD_YEAR"), "{m}");
}

#[test]
fn a_previous_year_grade_rule_reads_the_review_of_the_year_before() {
    let text = r#"
[[rule]]
code = "LAST_YEAR_EXCELLENT"
name = "上年度考核优秀的，优先安排资金"
basis = "依据"
target = "unit"
purposes = ["funding"]
measures = ["PILOT_INVESTMENT_FUNDING_PRIORITY"]

[rule.trigger]
kind = "grade"
grades = ["优秀"]
of_year = "previous_year"
"#;
    let rules = Rules::from_toml(text, &Measures::shipped(), &catalog()).unwrap();
    let facts = SubjectFacts {
        grades: vec![crate::sanction::YearGrade {
            year: 2025,
            grade: "优秀".into(),
        }],
        ..SubjectFacts::of_records(crate::subject::SubjectKind::Township, vec![])
    };
    let rule = &rules.all()[0];
    assert!(rule.evaluate(&facts, &catalog(), 2026).is_some());
    assert!(rule.evaluate(&facts, &catalog(), 2025).is_none());
}
