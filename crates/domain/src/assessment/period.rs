//! The assessment periods (考核期): the mid-year check (年中检查, 1 January–30 June) and the
//! year-end review (年终考评, the whole year).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Code, DomainError, Result};

/// Which of a year's two assessments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    MidYear,
    YearEnd,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 2] = [PeriodKind::MidYear, PeriodKind::YearEnd];

    pub fn code(self) -> &'static str {
        match self {
            PeriodKind::MidYear => "mid_year",
            PeriodKind::YearEnd => "year_end",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PeriodKind::MidYear => "年中检查",
            PeriodKind::YearEnd => "年终考评",
        }
    }

    pub fn parse(s: &str) -> Result<PeriodKind> {
        PeriodKind::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| {
                DomainError::new(
                    Code::PeriodUnknown,
                    format!(
                        "考核期 {} 不存在：应为年中检查或年终考评",
                        s.chars().take(20).collect::<String>()
                    ),
                )
            })
    }
}

/// One assessment period of one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Period {
    pub year: i32,
    pub kind: PeriodKind,
}

/// The years an assessment may be for.
pub const YEARS: std::ops::RangeInclusive<i32> = 2018..=2100;

impl Period {
    /// A period of a year the platform can assess (from the plan's year 2018).
    pub fn new(year: i32, kind: PeriodKind) -> Result<Period> {
        if !YEARS.contains(&year) {
            return Err(DomainError::new(
                Code::PeriodUnknown,
                format!(
                    "考核年度 {year} 超出范围：应在 {}–{} 年之间",
                    YEARS.start(),
                    YEARS.end()
                ),
            ));
        }
        Ok(Period { year, kind })
    }

    /// The first day.
    pub fn from(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, 1, 1).expect("1 January exists")
    }

    /// The last day, inclusive.
    pub fn to(self) -> NaiveDate {
        match self.kind {
            PeriodKind::MidYear => NaiveDate::from_ymd_opt(self.year, 6, 30),
            PeriodKind::YearEnd => NaiveDate::from_ymd_opt(self.year, 12, 31),
        }
        .expect("the period's last day exists")
    }

    pub fn contains(self, day: NaiveDate) -> bool {
        self.from() <= day && day <= self.to()
    }

    /// The last day counted when computing on `today`: the period's end, or today while the
    /// period runs (a case due later is not yet due).
    pub fn counted_to(self, today: NaiveDate) -> NaiveDate {
        self.to().min(today)
    }

    /// `2026年年终考评`.
    pub fn label(self) -> String {
        format!("{}年{}", self.year, self.kind.label())
    }

    /// The period a result is compared with (较上期): the same kind of period a year before.
    pub fn previous(self) -> Period {
        Period {
            year: self.year - 1,
            kind: self.kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_periods_cover_half_and_whole_year() {
        let mid = Period::new(2026, PeriodKind::MidYear).unwrap();
        assert_eq!(mid.from().to_string(), "2026-01-01");
        assert_eq!(mid.to().to_string(), "2026-06-30");
        assert!(!mid.contains(NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()));
        let end = Period::new(2026, PeriodKind::YearEnd).unwrap();
        assert_eq!(end.to().to_string(), "2026-12-31");
        assert_eq!(end.label(), "2026年年终考评");
        assert_eq!(
            end.counted_to(NaiveDate::from_ymd_opt(2026, 12, 3).unwrap())
                .to_string(),
            "2026-12-03"
        );
        assert_eq!(PeriodKind::parse("year_end").unwrap(), PeriodKind::YearEnd);
        let e = PeriodKind::parse("q3").unwrap_err();
        assert_eq!(e.code, Code::PeriodUnknown);
        // People read the periods by their Chinese names, not the codes of the address.
        assert!(e.message.contains("年中检查或年终考评"), "{}", e.message);
        assert!(!e.message.contains("mid_year") && !e.message.contains("year_end"));
        assert!(Period::new(1999, PeriodKind::YearEnd).is_err());
        assert!(Period::new(2101, PeriodKind::YearEnd).is_err());
    }
}
