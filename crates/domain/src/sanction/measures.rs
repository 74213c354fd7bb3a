//! The measures list (联合奖惩措施清单): what a sanction or a reward consists of, whom it is for,
//! on what basis, who carries it out and how long it lasts. Data the credit office keeps
//! (`measures.toml` ships the plan's list); the rules name measures by code.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Code, DomainError};

/// The list shipped with Probity (the plan's measures).
pub const SHIPPED_MEASURES: &str = include_str!("measures.toml");

/// 惩戒 or 激励.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    Sanction,
    Reward,
}

impl MeasureKind {
    pub fn label(self) -> &'static str {
        match self {
            MeasureKind::Sanction => "惩戒",
            MeasureKind::Reward => "激励",
        }
    }
}

/// Whom a measure (and a rule) is for: a unit (区政府、功能区、部门、街镇) or a civil servant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Unit,
    CivilServant,
}

impl Target {
    pub fn label(self) -> &'static str {
        match self {
            Target::Unit => "单位",
            Target::CivilServant => "公务员",
        }
    }

    pub fn of(kind: crate::subject::SubjectKind) -> Target {
        if kind.is_unit() {
            Target::Unit
        } else {
            Target::CivilServant
        }
    }
}

/// How long a measure lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duration {
    /// For the year the check is about: until 31 December of that year.
    Year,
    /// While the records that triggered it are in force: until the last day of the latest.
    InForce,
    /// A one-off act (a notice, a referral): no end date.
    Once,
    /// This many months from the latest triggering record's decision date (from 1 January of
    /// the year when no record triggered it, as for a reward).
    Months(u32),
}

impl Duration {
    /// The last day the measure applies, for a check about `year` triggered by records whose
    /// latest decision is `latest_decided` and whose in-force intervals end at the latest on
    /// `latest_in_force`. `None`: no end date (a one-off act), or a year out of range.
    pub fn until(
        self,
        year: i32,
        latest_decided: Option<NaiveDate>,
        latest_in_force: Option<NaiveDate>,
    ) -> Option<NaiveDate> {
        let year_end = NaiveDate::from_ymd_opt(year, 12, 31);
        match self {
            Duration::Year => year_end,
            Duration::InForce => latest_in_force.or(year_end),
            Duration::Once => None,
            Duration::Months(n) => {
                let from = latest_decided.or(NaiveDate::from_ymd_opt(year, 1, 1))?;
                from.checked_add_months(chrono::Months::new(n))
                    .and_then(|d| d.pred_opt())
            }
        }
    }

    pub fn label(self) -> String {
        match self {
            Duration::Year => "当年度".to_string(),
            Duration::InForce => "失信记录有效期内".to_string(),
            Duration::Once => "一次性".to_string(),
            Duration::Months(n) => format!("{n} 个月"),
        }
    }
}

/// One measure of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    /// Stable code, upper case (e.g. `NOT_EXCELLENT`).
    pub code: String,
    /// 措施名称.
    pub name: String,
    pub kind: MeasureKind,
    pub target: Target,
    /// 法律、政策依据.
    pub basis: String,
    /// 实施部门.
    pub department: String,
    pub duration: Duration,
}

/// The measures list, validated: codes unique, every text filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measures {
    measures: Vec<Measure>,
}

impl Measures {
    /// Reads and validates a list in the shape of `measures.toml` (`[[measure]]` tables). Every
    /// problem is returned at once, each naming its entry (position and code).
    pub fn from_toml(text: &str) -> Result<Measures, Vec<DomainError>> {
        let entries = super::toml_entries(text, "measure", Code::MeasuresInvalid, "措施清单")?;
        let mut errors = Vec::new();
        let mut parsed = Vec::new();
        for (i, entry) in entries.into_iter().enumerate() {
            let at = super::entry_label(i, &entry);
            match entry.try_into::<Measure>() {
                Ok(m) => parsed.push((i, m)),
                Err(e) => errors.push(invalid(format!("措施{at}：{}", super::toml_message(&e)))),
            }
        }
        errors.extend(problems(&parsed));
        if errors.is_empty() {
            Ok(Measures {
                measures: parsed.into_iter().map(|(_, m)| m).collect(),
            })
        } else {
            Err(errors)
        }
    }

    /// The list shipped with Probity.
    pub fn shipped() -> Measures {
        Measures::from_toml(SHIPPED_MEASURES).expect("the shipped measures list is valid")
    }

    /// Validates a list already in memory (e.g. after an edit by the credit office).
    pub fn new(measures: Vec<Measure>) -> Result<Measures, Vec<DomainError>> {
        let parsed: Vec<(usize, Measure)> = measures.into_iter().enumerate().collect();
        let errors = problems(&parsed);
        if errors.is_empty() {
            Ok(Measures {
                measures: parsed.into_iter().map(|(_, m)| m).collect(),
            })
        } else {
            Err(errors)
        }
    }

    pub fn all(&self) -> &[Measure] {
        &self.measures
    }

    pub fn get(&self, code: &str) -> Option<&Measure> {
        self.measures.iter().find(|m| m.code == code)
    }
}

/// Every problem of the entries that read, each named by its position in the file and its code.
fn problems(measures: &[(usize, Measure)]) -> Vec<DomainError> {
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (i, m) in measures {
        let at = format!("第 {} 条（{}）", i + 1, m.code);
        if !super::is_code(&m.code) {
            errors.push(invalid(format!(
                "措施{at}：代码无效，只能由大写字母、数字和下划线组成"
            )));
        }
        if !seen.insert(m.code.as_str()) {
            errors.push(invalid(format!("措施{at}：代码重复")));
        }
        if m.name.trim().is_empty() {
            errors.push(invalid(format!("措施{at}：缺少措施名称")));
        }
        if m.basis.trim().is_empty() {
            errors.push(invalid(format!("措施{at}：缺少法律、政策依据")));
        }
        if m.department.trim().is_empty() {
            errors.push(invalid(format!("措施{at}：缺少实施部门")));
        }
        if m.duration == Duration::Months(0) {
            errors.push(invalid(format!("措施{at}：期限不能为 0 个月")));
        }
    }
    errors
}

fn invalid(message: String) -> DomainError {
    DomainError::new(Code::MeasuresInvalid, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const ONE: &str = r#"
[[measure]]
code = "NOT_EXCELLENT"
name = "年度考核不得确定为优秀等次"
kind = "sanction"
target = "civil_servant"
basis = "津滨政发〔2018〕31号"
department = "区委组织部"
duration = "year"
"#;

    fn messages(errors: &[DomainError]) -> String {
        assert!(errors.iter().all(|e| e.code == Code::MeasuresInvalid));
        errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_shipped_list_holds_the_plans_measures() {
        let m = Measures::shipped();
        let names: Vec<&str> = m.all().iter().map(|m| m.name.as_str()).collect();
        for name in [
            "取消荣誉评选资格",
            "公开通报批评",
            "追究主要负责人责任",
            "年度考核不得确定为优秀等次",
            "审慎安排改革试点和项目投资",
            "绩效考核扣分",
            "优先安排改革试点、项目投资、财政资金支持",
            "评先评优优先推荐",
        ] {
            assert!(names.contains(&name), "{name} missing");
        }
        assert_eq!(m.get("NOT_EXCELLENT").unwrap().target, Target::CivilServant);
        assert_eq!(m.get("HONOUR_PRIORITY").unwrap().kind, MeasureKind::Reward);
    }

    #[test]
    fn one_measure_reads() {
        let m = Measures::from_toml(ONE).unwrap();
        assert_eq!(m.all().len(), 1);
        assert_eq!(m.all()[0].duration, Duration::Year);
    }

    #[test]
    fn months_read_as_a_table() {
        let text = ONE.replace(r#"duration = "year""#, "duration = { months = 6 }");
        let m = Measures::from_toml(&text).unwrap();
        assert_eq!(m.all()[0].duration, Duration::Months(6));
    }

    #[test]
    fn an_unknown_field_is_refused_naming_the_entry() {
        let text = format!("{ONE}\nlasts = 3\n");
        let errors = Measures::from_toml(&text).unwrap_err();
        let all = messages(&errors);
        assert!(all.contains("第 1 条（NOT_EXCELLENT）"), "{all}");
        assert!(all.contains("lasts"), "{all}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad_kind = ONE
            .replace("NOT_EXCELLENT", "PRAISE")
            .replace(r#"kind = "sanction""#, r#"kind = "bonus""#);
        let blank = ONE.replace("年度考核不得确定为优秀等次", " ");
        // Entry 1 fine, entry 2 a bad kind, entry 3 a duplicate code with a blank name.
        let text = format!("{ONE}{bad_kind}{blank}");
        let errors = Measures::from_toml(&text).unwrap_err();
        let all = messages(&errors);
        assert!(all.contains("第 2 条（PRAISE）"), "{all}");
        assert!(all.contains("bonus"), "{all}");
        assert!(all.contains("第 3 条（NOT_EXCELLENT）：代码重复"), "{all}");
        assert!(
            all.contains("第 3 条（NOT_EXCELLENT）：缺少措施名称"),
            "{all}"
        );
        assert_eq!(errors.len(), 3, "{all}");
    }

    #[test]
    fn a_bad_code_and_zero_months_are_refused() {
        let text = ONE
            .replace("NOT_EXCELLENT", "not excellent")
            .replace(r#"duration = "year""#, "duration = { months = 0 }");
        let all = messages(&Measures::from_toml(&text).unwrap_err());
        assert!(all.contains("代码无效"), "{all}");
        assert!(all.contains("0 个月"), "{all}");
    }

    #[test]
    fn text_that_is_not_toml_is_refused() {
        let errors = Measures::from_toml("[[measure]\ncode = ").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, Code::MeasuresInvalid);
    }

    #[test]
    fn durations_end_where_they_say() {
        let decided = Some(d("2026-03-15"));
        let in_force = Some(d("2027-03-15"));
        assert_eq!(
            Duration::Year.until(2026, decided, in_force),
            Some(d("2026-12-31"))
        );
        assert_eq!(Duration::InForce.until(2026, decided, in_force), in_force);
        assert_eq!(Duration::Once.until(2026, decided, in_force), None);
        assert_eq!(
            Duration::Months(6).until(2026, decided, in_force),
            Some(d("2026-09-14"))
        );
        assert_eq!(
            Duration::Months(12).until(2026, None, None),
            Some(d("2026-12-31"))
        );
    }
}
