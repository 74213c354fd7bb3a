//! Subjects (主体): the district government, functional zones, departments, townships and civil
//! servants whose government-integrity records Probity keeps.

use serde::{Deserialize, Serialize};

use crate::error::{Code, DomainError, Result};
use crate::ident::{IdNumber, Uscc};
use crate::text::{Lines, check_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    DistrictGovernment,
    FunctionalZone,
    Department,
    Township,
    CivilServant,
}

impl SubjectKind {
    pub const ALL: [SubjectKind; 5] = [
        SubjectKind::DistrictGovernment,
        SubjectKind::FunctionalZone,
        SubjectKind::Department,
        SubjectKind::Township,
        SubjectKind::CivilServant,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SubjectKind::DistrictGovernment => "district_government",
            SubjectKind::FunctionalZone => "functional_zone",
            SubjectKind::Department => "department",
            SubjectKind::Township => "township",
            SubjectKind::CivilServant => "civil_servant",
        }
    }

    /// The label used in the roster template (区政府/功能区/部门/街镇/公务员).
    pub fn label(self) -> &'static str {
        match self {
            SubjectKind::DistrictGovernment => "区政府",
            SubjectKind::FunctionalZone => "功能区",
            SubjectKind::Department => "部门",
            SubjectKind::Township => "街镇",
            SubjectKind::CivilServant => "公务员",
        }
    }

    /// Accepts the code, the label, and the words officials commonly write instead.
    pub fn parse(s: &str) -> Result<Self> {
        let t = s.trim();
        let kind = match t {
            "区政府" | "区人民政府" | "政府" => SubjectKind::DistrictGovernment,
            "功能区" | "管委会" => SubjectKind::FunctionalZone,
            "部门" | "委局" | "委办局" => SubjectKind::Department,
            "街镇" | "街道" | "镇" | "乡镇" => SubjectKind::Township,
            "公务员" | "个人" => SubjectKind::CivilServant,
            _ => SubjectKind::ALL
                .into_iter()
                .find(|k| t.eq_ignore_ascii_case(k.code()))
                .ok_or_else(|| {
                    DomainError::new(
                        Code::UnknownSubjectKind,
                        format!(
                            "无法识别的主体类型：{t}（应为 区政府、功能区、部门、街镇 或 公务员）"
                        ),
                    )
                })?,
        };
        Ok(kind)
    }

    pub fn is_unit(self) -> bool {
        self != SubjectKind::CivilServant
    }
}

/// How a subject is identified in the world: a USCC for units, an ID number for civil servants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectKey {
    Uscc(Uscc),
    IdNumber(IdNumber),
}

/// A roster row as officials write it (all text), before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RosterRow {
    pub name: String,
    pub short_name: String,
    pub kind: String,
    pub uscc: String,
    pub parent: String,
    pub id_number: String,
    pub unit: String,
    pub position: String,
}

/// A validated roster entry. `parent` (units) and `unit` (civil servants) are still references by
/// name, short name or USCC; the store resolves them against the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubject {
    pub kind: SubjectKind,
    pub name: String,
    pub short_name: Option<String>,
    pub key: SubjectKey,
    pub parent: Option<String>,
    pub unit: Option<String>,
    pub position: Option<String>,
}

pub const MAX_NAME_CHARS: usize = 100;

/// A required text field: trimmed, non-empty, bounded.
pub fn required_text(value: &str, field: &str, max_chars: usize) -> Result<String> {
    let t = value.trim();
    if t.is_empty() {
        return Err(DomainError::new(Code::Required, format!("{field}为空")));
    }
    bounded(t, field, max_chars).map(str::to_string)
}

/// An optional text field: trimmed; empty means absent.
pub fn optional_text(value: &str, field: &str, max_chars: usize) -> Result<Option<String>> {
    let t = value.trim();
    if t.is_empty() {
        return Ok(None);
    }
    bounded(t, field, max_chars).map(|s| Some(s.to_string()))
}

fn bounded<'a>(t: &'a str, field: &str, max_chars: usize) -> Result<&'a str> {
    let n = t.chars().count();
    if n > max_chars {
        return Err(DomainError::new(
            Code::TooLong,
            format!("{field}过长：{n} 个字符，最多 {max_chars} 个"),
        ));
    }
    Ok(t)
}

impl RosterRow {
    /// Validates one roster row. `allow_check_override` accepts a USCC whose only fault is its check
    /// digit (real codes issued before 2016), which the credit office must ask for explicitly.
    pub fn validate(&self, allow_check_override: bool) -> Result<NewSubject> {
        for (label, value) in [
            ("名称", &self.name),
            ("简称", &self.short_name),
            ("主体类型", &self.kind),
            ("统一社会信用代码", &self.uscc),
            ("上级单位", &self.parent),
            ("身份证号", &self.id_number),
            ("所在单位", &self.unit),
            ("职务", &self.position),
        ] {
            check_text(value.trim(), label, Lines::Single)?;
        }
        let kind = if self.kind.trim().is_empty() {
            return Err(DomainError::new(Code::Required, "主体类型为空"));
        } else {
            SubjectKind::parse(&self.kind)?
        };
        let name = required_text(&self.name, "名称", MAX_NAME_CHARS)?;
        let short_name = optional_text(&self.short_name, "简称", MAX_NAME_CHARS)?;
        let position = optional_text(&self.position, "职务", MAX_NAME_CHARS)?;
        if kind.is_unit() {
            if !self.id_number.trim().is_empty() {
                return Err(DomainError::new(
                    Code::SubjectIdentifierConflict,
                    "单位主体不应填写身份证号",
                ));
            }
            if self.uscc.trim().is_empty() {
                return Err(DomainError::new(
                    Code::Required,
                    "单位主体的统一社会信用代码为空",
                ));
            }
            let uscc = if allow_check_override {
                Uscc::parse_overriding_check(&self.uscc)?
            } else {
                Uscc::parse(&self.uscc)?
            };
            Ok(NewSubject {
                kind,
                name,
                short_name,
                key: SubjectKey::Uscc(uscc),
                parent: optional_text(&self.parent, "上级单位", MAX_NAME_CHARS)?,
                unit: None,
                position: None,
            })
        } else {
            if !self.uscc.trim().is_empty() {
                return Err(DomainError::new(
                    Code::SubjectIdentifierConflict,
                    "公务员不应填写统一社会信用代码",
                ));
            }
            if self.id_number.trim().is_empty() {
                return Err(DomainError::new(Code::Required, "公务员的身份证号为空"));
            }
            let id = IdNumber::parse(&self.id_number)?;
            let unit = required_text(&self.unit, "所在单位", MAX_NAME_CHARS)?;
            Ok(NewSubject {
                kind,
                name,
                short_name,
                key: SubjectKey::IdNumber(id),
                parent: None,
                unit: Some(unit),
                position,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit_row(uscc: &str) -> RosterRow {
        RosterRow {
            name: "天津市滨海新区财政局".into(),
            short_name: "区财政局".into(),
            kind: "部门".into(),
            uscc: uscc.into(),
            parent: "天津市滨海新区人民政府".into(),
            ..Default::default()
        }
    }

    fn valid_uscc() -> Uscc {
        Uscc::from_parts('1', '1', "120116", "MB123456").unwrap()
    }

    #[test]
    fn kinds_parse_from_codes_and_words() {
        assert_eq!(SubjectKind::parse("街道").unwrap(), SubjectKind::Township);
        assert_eq!(
            SubjectKind::parse("functional_zone").unwrap(),
            SubjectKind::FunctionalZone
        );
        assert_eq!(
            SubjectKind::parse("公司").unwrap_err().code,
            Code::UnknownSubjectKind
        );
    }

    #[test]
    fn unit_row_needs_a_valid_uscc() {
        let good = valid_uscc();
        let s = unit_row(good.as_str()).validate(false).unwrap();
        assert_eq!(s.key, SubjectKey::Uscc(good.clone()));
        assert_eq!(s.short_name.as_deref(), Some("区财政局"));
        assert_eq!(
            unit_row("").validate(false).unwrap_err().code,
            Code::Required
        );

        // A wrong final check digit is refused unless the override is asked for.
        let mut bad: Vec<char> = good.as_str().chars().collect();
        bad[17] = if bad[17] == '0' { '1' } else { '0' };
        let bad: String = bad.into_iter().collect();
        assert_eq!(
            unit_row(&bad).validate(false).unwrap_err().code,
            Code::UsccCheckDigit
        );
        let s = unit_row(&bad).validate(true).unwrap();
        match s.key {
            SubjectKey::Uscc(u) => assert!(u.check_overridden()),
            _ => panic!("expected a USCC"),
        }
    }

    #[test]
    fn civil_servant_row_needs_id_and_unit() {
        let id = IdNumber::from_parts(
            "120116",
            chrono::NaiveDate::from_ymd_opt(1980, 5, 17).unwrap(),
            123,
        )
        .unwrap();
        let row = RosterRow {
            name: "张三".into(),
            kind: "公务员".into(),
            id_number: id.as_str().into(),
            unit: "区财政局".into(),
            position: "科长".into(),
            ..Default::default()
        };
        let s = row.validate(false).unwrap();
        assert_eq!(s.kind, SubjectKind::CivilServant);
        assert_eq!(s.unit.as_deref(), Some("区财政局"));
        let mut no_unit = row.clone();
        no_unit.unit.clear();
        assert_eq!(no_unit.validate(false).unwrap_err().code, Code::Required);
        let mut with_uscc = row;
        with_uscc.uscc = valid_uscc().as_str().into();
        assert_eq!(
            with_uscc.validate(false).unwrap_err().code,
            Code::SubjectIdentifierConflict
        );
    }

    #[test]
    fn control_and_direction_characters_are_refused() {
        let mut row = unit_row(valid_uscc().as_str());
        row.name = "天津市滨海新区\u{202e}财政局".into();
        let e = row.validate(false).unwrap_err();
        assert_eq!(e.code, Code::TextControlChar);
        assert!(
            e.message.contains("名称") && e.message.contains("U+202E"),
            "{}",
            e.message
        );
        let mut row = unit_row(valid_uscc().as_str());
        row.parent = "区政府\0".into();
        let e = row.validate(false).unwrap_err();
        assert!(
            e.message.contains("上级单位") && e.message.contains("U+0000"),
            "{}",
            e.message
        );
        let mut row = unit_row(valid_uscc().as_str());
        row.short_name = "区财政局\u{2066}".into();
        assert_eq!(row.validate(false).unwrap_err().code, Code::TextControlChar);
    }

    #[test]
    fn overlong_names_are_refused() {
        let mut row = unit_row(valid_uscc().as_str());
        row.name = "长".repeat(101);
        assert_eq!(row.validate(false).unwrap_err().code, Code::TooLong);
    }
}
