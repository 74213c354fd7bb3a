//! What the statistics page (统计分析) counts and how its two rates are defined (DESIGN.md §4):
//!
//! - A record counts once it has been decided on and still stands in a file: active, under
//!   objection, repaired or expired. Drafts and records waiting for review are not yet data;
//!   revoked ones were withdrawn as wrong.
//! - 归集及时率 (reporting timeliness) of a provider: the share of its counted records that
//!   reached the platform within `timely_days` days of their decision (the 双公示 rule's seven
//!   days, counted in calendar days until the working-day calendar arrives).
//! - 档案覆盖率 (file coverage): the share of the roster's current subjects (not merged into a
//!   successor) whose file holds at least one counted record.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::record::RecordState;

/// The thresholds of the statistics, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsRules {
    /// A record is reported on time when it reaches the platform at most this many days after
    /// its decision.
    pub timely_days: u32,
}

impl Default for StatisticsRules {
    fn default() -> Self {
        StatisticsRules { timely_days: 7 }
    }
}

impl StatisticsRules {
    /// Whether a record decided on `decided_on` that first reached the platform on `first_seen`
    /// (a Beijing date) was reported on time. One reported before its decision date (a typing
    /// slip the form would have refused) counts as on time.
    pub fn is_timely(&self, decided_on: NaiveDate, first_seen: NaiveDate) -> bool {
        (first_seen - decided_on).num_days() <= i64::from(self.timely_days)
    }
}

/// The states a counted record is in.
pub const COUNTED_STATES: [RecordState; 4] = [
    RecordState::Active,
    RecordState::Objected,
    RecordState::Repaired,
    RecordState::Expired,
];

/// `part` of `whole`, as a rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Rate {
    pub part: u64,
    pub whole: u64,
}

impl Rate {
    /// The rate in per mille, rounded half up; `None` of nothing.
    pub fn per_mille(self) -> Option<u64> {
        if self.whole == 0 {
            return None;
        }
        let part = self.part.min(self.whole);
        Some((u128::from(part) * 2000 / u128::from(self.whole)).div_ceil(2) as u64)
    }

    /// As officials write it: "87.5%", or "—" of nothing.
    pub fn percent_text(self) -> String {
        match self.per_mille() {
            Some(m) => format!("{}.{}%", m / 10, m % 10),
            None => "—".into(),
        }
    }
}

/// A year-month key as stored ("2026-05") in Chinese ("2026年5月"); anything else as it is.
pub fn month_label(key: &str) -> String {
    match key.split_once('-') {
        Some((y, m)) if y.len() == 4 && m.len() == 2 => match m.parse::<u32>() {
            Ok(n @ 1..=12) => format!("{y}年{n}月"),
            _ => key.to_string(),
        },
        _ => key.to_string(),
    }
}

/// The months of `year` up to `today`'s month (all twelve of a past year), as keys
/// ("2026-01" …), so that a trend shows the months without records too.
pub fn months_of(year: i32, today: NaiveDate) -> Vec<String> {
    use chrono::Datelike;
    let last = if year < today.year() {
        12
    } else if year == today.year() {
        today.month()
    } else {
        0
    };
    (1..=last).map(|m| format!("{year:04}-{m:02}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_record_is_timely_up_to_the_seventh_day() {
        let r = StatisticsRules::default();
        assert!(r.is_timely(d("2026-03-02"), d("2026-03-02")));
        assert!(r.is_timely(d("2026-03-02"), d("2026-03-09")));
        assert!(!r.is_timely(d("2026-03-02"), d("2026-03-10")));
        assert!(r.is_timely(d("2026-03-02"), d("2026-03-01")));
        let strict = StatisticsRules { timely_days: 0 };
        assert!(!strict.is_timely(d("2026-03-02"), d("2026-03-03")));
    }

    #[test]
    fn rules_reject_unknown_fields() {
        assert!(serde_json::from_str::<StatisticsRules>(r#"{"timely_dayz": 5}"#).is_err());
        let r: StatisticsRules = serde_json::from_str(r#"{"timely_days": 5}"#).unwrap();
        assert_eq!(r.timely_days, 5);
    }

    #[test]
    fn rates_read_as_percentages() {
        let rate = |part, whole| Rate { part, whole }.percent_text();
        assert_eq!(rate(7, 8), "87.5%");
        assert_eq!(rate(1, 3), "33.3%");
        assert_eq!(rate(2, 3), "66.7%");
        assert_eq!(rate(0, 5), "0.0%");
        assert_eq!(rate(5, 5), "100.0%");
        assert_eq!(rate(0, 0), "—");
    }

    #[test]
    fn months_read_in_chinese_and_cover_the_year_so_far() {
        assert_eq!(month_label("2026-05"), "2026年5月");
        assert_eq!(month_label("2026-13"), "2026-13");
        assert_eq!(month_label("x"), "x");
        assert_eq!(
            months_of(2026, d("2026-03-15")),
            ["2026-01", "2026-02", "2026-03"]
        );
        assert_eq!(months_of(2025, d("2026-03-15")).len(), 12);
        assert!(months_of(2027, d("2026-03-15")).is_empty());
    }

    proptest! {
        #[test]
        fn a_rate_never_exceeds_a_hundred_percent(part in 0u64..u64::MAX, whole in 0u64..u64::MAX) {
            if let Some(m) = (Rate { part, whole }).per_mille() {
                prop_assert!(m <= 1000);
            }
        }
    }
}
