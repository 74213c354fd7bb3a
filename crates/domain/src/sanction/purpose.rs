//! What a credit check (信用核查) is asked for: the decision the asking department is about to
//! take. A rule concerns some purposes; a check for another purpose is not touched by it.

use serde::{Deserialize, Serialize};

use crate::error::{Code, DomainError, Result};

/// The purposes of `POST /api/v1/sanctions/check` (DESIGN.md §5); the codes are the API's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// 荣誉评选 (评先评优).
    Honour,
    /// 年度考核确定优秀等次.
    ExcellentRating,
    /// 选拔任用.
    Appointment,
    /// 改革试点.
    Pilot,
    /// 项目投资.
    Investment,
    /// 财政资金支持.
    Funding,
}

impl Purpose {
    pub const ALL: [Purpose; 6] = [
        Purpose::Honour,
        Purpose::ExcellentRating,
        Purpose::Appointment,
        Purpose::Pilot,
        Purpose::Investment,
        Purpose::Funding,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Purpose::Honour => "honour",
            Purpose::ExcellentRating => "excellent_rating",
            Purpose::Appointment => "appointment",
            Purpose::Pilot => "pilot",
            Purpose::Investment => "investment",
            Purpose::Funding => "funding",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Purpose::Honour => "荣誉评选",
            Purpose::ExcellentRating => "年度考核优秀等次",
            Purpose::Appointment => "选拔任用",
            Purpose::Pilot => "改革试点",
            Purpose::Investment => "项目投资",
            Purpose::Funding => "财政资金支持",
        }
    }

    /// Reads the API's code (or the Chinese label, as a form may send it).
    pub fn parse(s: &str) -> Result<Self> {
        let t = s.trim();
        Purpose::ALL
            .into_iter()
            .find(|p| p.code() == t || p.label() == t)
            .ok_or_else(|| {
                let allowed = Purpose::ALL
                    .iter()
                    .map(|p| format!("{}（{}）", p.code(), p.label()))
                    .collect::<Vec<_>>()
                    .join("、");
                DomainError::new(
                    Code::PurposeUnknown,
                    format!("未知的核查用途：{t}（应为 {allowed}）"),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_purpose_reads_back_from_its_code_and_label() {
        for p in Purpose::ALL {
            assert_eq!(Purpose::parse(p.code()).unwrap(), p);
            assert_eq!(Purpose::parse(p.label()).unwrap(), p);
        }
        assert_eq!(
            Purpose::parse(" excellent_rating ").unwrap(),
            Purpose::ExcellentRating
        );
    }

    #[test]
    fn an_unknown_purpose_lists_the_allowed_ones() {
        let e = Purpose::parse("promotion").unwrap_err();
        assert_eq!(e.code, Code::PurposeUnknown);
        assert!(e.message.contains("promotion"), "{}", e.message);
        for p in Purpose::ALL {
            assert!(e.message.contains(p.code()), "{}", e.message);
            assert!(e.message.contains(p.label()), "{}", e.message);
        }
    }

    #[test]
    fn the_codes_are_the_apis() {
        let json = serde_json::to_string(&Purpose::ExcellentRating).unwrap();
        assert_eq!(json, "\"excellent_rating\"");
    }
}
