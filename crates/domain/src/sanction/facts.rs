//! What the rules look at: the subject's kind and its records, as the app reads them, and when
//! each record is in force (DESIGN.md §4).
//!
//! A record is in force from its decision date to its disclosure end as the disclosure policy
//! computes it (`expiry::last_day`: its own end date capped by the category's maximum for its
//! severity), whether or not it is public. A record that never became active (draft, submitted)
//! is never in force. A repaired or revoked record stops being in force on the day of that
//! decision: **the decision day itself is not in force**; its last day in force is the day
//! before (`ended_on - 1`). So a record repaired on 1 January of Y was last in force on
//! 31 December of Y-1 and is not in force in Y. One repaired or revoked on its own decision day
//! was never in force, though it was still decided (which rules that look at the decision year
//! count).

use chrono::{Datelike, NaiveDate};

use crate::catalog::{Catalog, DisclosureBounds, RecordKind, Severity};
use crate::expiry::last_day;
use crate::record::RecordState;
use crate::subject::SubjectKind;

/// One of the subject's records, as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFact {
    pub id: i64,
    /// The category's code.
    pub category: String,
    pub kind: RecordKind,
    /// None for trustworthy records (and then the category's default applies).
    pub severity: Option<Severity>,
    pub state: RecordState,
    pub decided_on: NaiveDate,
    /// The record's own disclosure end date (公示截止日期).
    pub disclosure_until: NaiveDate,
    /// For a repaired or revoked record, the date of that decision; read only in those states.
    /// A repaired or revoked record without it is taken to run to its disclosure end.
    pub ended_on: Option<NaiveDate>,
    /// 从轻或免于惩戒 granted in a repair (civil servants only).
    pub exemption: bool,
}

/// The subject of a check and everything the rules may look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectFacts {
    pub kind: SubjectKind,
    /// Every record of the subject, in any state; the rules decide which count.
    pub records: Vec<RecordFact>,
    /// A unit's grades (考核等次) in the year-end reviews the credit office closed, by year.
    pub grades: Vec<YearGrade>,
    /// A unit's turns owing a rectification (失信整改), each with its own deadline.
    pub rectifications: Vec<RectificationFact>,
}

impl SubjectFacts {
    /// A subject known by its records alone (no assessment, no rectification).
    pub fn of_records(kind: SubjectKind, records: Vec<RecordFact>) -> SubjectFacts {
        SubjectFacts {
            kind,
            records,
            grades: Vec::new(),
            rectifications: Vec::new(),
        }
    }
}

/// A unit's grade in a closed year-end review (年终考评).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearGrade {
    pub year: i32,
    /// The grade's name as the year's indicator set gives it (优秀, 良好, 合格, 不合格).
    pub grade: String,
}

/// A unit's turn owing a rectification: the case, its deadline and the last day the turn stood
/// open (the day the unit handed in its report or the case closed; today while open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RectificationFact {
    pub case_id: i64,
    pub due: NaiveDate,
    pub last_open: NaiveDate,
    /// Withdrawn or lapsed: nothing was owed in the end.
    pub void: bool,
}

impl RectificationFact {
    /// Whether the rectification was overdue (逾期未整改) on some day of `year`: still open on
    /// a day past its deadline, that day in the year. A report handed in on the deadline is on
    /// time; one handed in the day after is late, as the assessment's `CaseItem` counts it.
    pub fn overdue_in(&self, year: i32) -> bool {
        let (Some(first_late), Some(start), Some(end)) = (
            self.due.succ_opt(),
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return false;
        };
        !self.void && first_late <= self.last_open && first_late <= end && self.last_open >= start
    }
}

/// The days a record is in force, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InForce {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl InForce {
    /// Whether the record is in force on at least one day of `year`.
    pub fn meets_year(&self, year: i32) -> bool {
        self.first.year() <= year && self.last.year() >= year
    }
}

impl RecordFact {
    /// Whether the record was ever decided on by the credit office (not a draft, not waiting
    /// for review).
    pub fn became_active(&self) -> bool {
        !matches!(self.state, RecordState::Draft | RecordState::Submitted)
    }

    /// The disclosure bounds of its category for its severity; a category the catalog no
    /// longer holds caps nothing, and the record's own end date stands.
    pub fn bounds(&self, catalog: &Catalog) -> DisclosureBounds {
        catalog
            .get(&self.category)
            .map(|c| c.bounds(self.severity))
            .unwrap_or(DisclosureBounds {
                min_months: 0,
                max_months: 0,
            })
    }

    /// Its severity, or its category's default when it carries none.
    pub fn effective_severity(&self, catalog: &Catalog) -> Option<Severity> {
        self.severity
            .or_else(|| catalog.get(&self.category).and_then(|c| c.default_severity))
    }

    /// When the record is in force (see the module's doc); `None` when never.
    pub fn in_force(&self, catalog: &Catalog) -> Option<InForce> {
        in_force(self, self.bounds(catalog))
    }
}

/// When a record is in force, given its category's bounds for its severity; `None` when never.
pub fn in_force(record: &RecordFact, bounds: DisclosureBounds) -> Option<InForce> {
    if !record.became_active() {
        return None;
    }
    let mut last = last_day(record.decided_on, record.disclosure_until, bounds);
    if matches!(record.state, RecordState::Repaired | RecordState::Revoked)
        && let Some(ended) = record.ended_on
    {
        // The day of the repair or revocation is no longer in force.
        last = last.min(ended.pred_opt()?);
    }
    (last >= record.decided_on).then_some(InForce {
        first: record.decided_on,
        last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const TWELVE: DisclosureBounds = DisclosureBounds {
        min_months: 3,
        max_months: 12,
    };

    fn record(state: RecordState, decided: &str, until: &str, ended: Option<&str>) -> RecordFact {
        RecordFact {
            id: 1,
            category: "DISCIPLINARY_SANCTION".into(),
            kind: RecordKind::Dishonest,
            severity: Some(Severity::Ordinary),
            state,
            decided_on: d(decided),
            disclosure_until: d(until),
            ended_on: ended.map(d),
            exemption: false,
        }
    }

    #[test]
    fn in_force_from_the_decision_to_the_disclosure_end() {
        let r = record(RecordState::Active, "2025-03-05", "2026-03-05", None);
        assert_eq!(
            in_force(&r, TWELVE),
            Some(InForce {
                first: d("2025-03-05"),
                last: d("2026-03-05")
            })
        );
    }

    #[test]
    fn the_categorys_maximum_caps_it() {
        let r = record(RecordState::Active, "2025-03-05", "2028-03-05", None);
        assert_eq!(in_force(&r, TWELVE).unwrap().last, d("2026-03-05"));
    }

    #[test]
    fn expired_and_objected_records_were_in_force_all_the_same() {
        for state in [RecordState::Expired, RecordState::Objected] {
            let r = record(state, "2025-03-05", "2026-03-05", None);
            assert_eq!(in_force(&r, TWELVE).unwrap().last, d("2026-03-05"));
        }
    }

    #[test]
    fn a_draft_or_submitted_record_is_never_in_force() {
        for state in [RecordState::Draft, RecordState::Submitted] {
            let r = record(state, "2025-03-05", "2026-03-05", None);
            assert_eq!(in_force(&r, TWELVE), None, "{state:?}");
        }
    }

    #[test]
    fn a_repair_or_revocation_ends_it_the_day_before_that_decision() {
        for state in [RecordState::Repaired, RecordState::Revoked] {
            let r = record(state, "2025-03-05", "2026-03-05", Some("2026-01-01"));
            let f = in_force(&r, TWELVE).unwrap();
            assert_eq!(f.last, d("2025-12-31"), "{state:?}");
            assert!(f.meets_year(2025));
            assert!(!f.meets_year(2026), "not in force on 1 January");
        }
    }

    #[test]
    fn a_record_ended_on_its_decision_day_was_never_in_force() {
        let r = record(
            RecordState::Revoked,
            "2026-03-05",
            "2027-03-05",
            Some("2026-03-05"),
        );
        assert_eq!(in_force(&r, TWELVE), None);
    }

    #[test]
    fn an_end_date_counts_only_for_repaired_or_revoked_records() {
        let r = record(
            RecordState::Active,
            "2025-03-05",
            "2026-03-05",
            Some("2025-06-01"),
        );
        assert_eq!(in_force(&r, TWELVE).unwrap().last, d("2026-03-05"));
    }

    #[test]
    fn a_record_decided_on_31_december_is_in_force_the_next_year() {
        let r = record(RecordState::Active, "2025-12-31", "2026-06-30", None);
        let f = in_force(&r, TWELVE).unwrap();
        assert!(f.meets_year(2025) && f.meets_year(2026) && !f.meets_year(2027));
    }
}
