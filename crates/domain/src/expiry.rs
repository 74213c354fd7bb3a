//! When a record's disclosure period ends, it expires (已到期) the next day (DESIGN.md §4). The
//! period ends on its own end date, capped by the category's maximum for its severity, as the
//! disclosure policy computes it; a record its category never discloses (maximum 0 months, 不公示)
//! still ends on its own date. Only an active record expires: one under objection waits for its
//! objection to be settled, and a draft or submitted one was never in force.

use chrono::NaiveDate;

use crate::catalog::{Catalog, DisclosureBounds, Severity};
use crate::date::add_months;
use crate::record::RecordState;

/// The last day of a record's disclosure period.
pub fn last_day(
    decided_on: NaiveDate,
    disclosure_until: NaiveDate,
    bounds: DisclosureBounds,
) -> NaiveDate {
    if bounds.max_months == 0 {
        return disclosure_until;
    }
    disclosure_until.min(add_months(decided_on, bounds.max_months))
}

/// Days to spare when counting months back (`add_months` clamps to a month's last day, which
/// moves a date by up to three days each way).
const MONTH_END_SPARE: u64 = 10;

/// The decision date before which a record whose period is capped at `max_months` may have
/// passed that cap by `today`: every `decided_on` with `add_months(decided_on, max_months) <
/// today` lies before it (a property test checks). `None` when nothing can be that old.
pub fn decided_before(max_months: u32, today: NaiveDate) -> Option<NaiveDate> {
    let back = today.checked_sub_months(chrono::Months::new(max_months))?;
    back.checked_add_days(chrono::Days::new(MONTH_END_SPARE))
}

/// For each category and severity (`None`: a record without one, which the category bounds as
/// ordinary) whose maximum may cap a record's period (`last_day`), the decision date before
/// which its active records may have passed that maximum by `today`. With the records whose own
/// end date has passed, these are all the records that may expire today (the daily expiry reads
/// only them, then decides each exactly); a maximum of 0 (never disclosed) leaves the records to
/// their own end dates.
pub fn capped_before(
    catalog: &Catalog,
    today: NaiveDate,
) -> Vec<(String, Option<Severity>, NaiveDate)> {
    let mut out = Vec::new();
    for c in catalog.categories() {
        for severity in [
            None,
            Some(Severity::Minor),
            Some(Severity::Ordinary),
            Some(Severity::Grave),
        ] {
            let max = c.bounds(severity).max_months;
            if max == 0 {
                continue;
            }
            if let Some(cut) = decided_before(max, today) {
                out.push((c.code.clone(), severity, cut));
            }
        }
    }
    out
}

/// Whether a record in `state` whose period's last day is `last` is due to expire on `today`.
pub fn is_due(state: RecordState, last: NaiveDate, today: NaiveDate) -> bool {
    state == RecordState::Active && today > last
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const TWELVE: DisclosureBounds = DisclosureBounds {
        min_months: 6,
        max_months: 12,
    };

    #[test]
    fn a_record_expires_the_day_after_its_last_day() {
        let last = last_day(d("2025-03-05"), d("2026-03-05"), TWELVE);
        assert_eq!(last, d("2026-03-05"));
        assert!(
            !is_due(RecordState::Active, last, d("2026-03-05")),
            "its last day"
        );
        assert!(
            is_due(RecordState::Active, last, d("2026-03-06")),
            "the day after"
        );
    }

    #[test]
    fn the_categorys_maximum_caps_the_records_own_end() {
        // Its own end lies three years out; the category allows twelve months.
        let last = last_day(d("2025-03-05"), d("2028-03-05"), TWELVE);
        assert_eq!(last, d("2026-03-05"));
    }

    #[test]
    fn a_record_never_disclosed_ends_on_its_own_date() {
        let never = DisclosureBounds {
            min_months: 0,
            max_months: 0,
        };
        assert_eq!(
            last_day(d("2025-03-05"), d("2025-06-05"), never),
            d("2025-06-05")
        );
    }

    #[test]
    fn only_an_active_record_expires() {
        let last = d("2025-01-01");
        let today = d("2026-01-01");
        for state in [
            RecordState::Draft,
            RecordState::Submitted,
            RecordState::Objected,
            RecordState::Repaired,
            RecordState::Expired,
            RecordState::Revoked,
        ] {
            assert!(!is_due(state, last, today), "{state:?}");
        }
    }

    proptest! {
        #[test]
        fn the_last_day_is_never_past_either_end(
            decided in 0i64..4000, own in 0i64..4000, max in 0u32..120
        ) {
            let base = d("2018-01-01");
            let decided_on = base + chrono::Days::new(decided as u64);
            let until = decided_on + chrono::Days::new(own as u64);
            let bounds = DisclosureBounds { min_months: 0, max_months: max };
            let last = last_day(decided_on, until, bounds);
            prop_assert!(last <= until);
            if max > 0 {
                prop_assert!(last <= add_months(decided_on, max));
            }
        }
    }

    proptest! {
        /// Every record the cap has expired by `today` was decided before the cut-off the daily
        /// expiry reads up to: the index range never misses one.
        #[test]
        fn the_cut_off_never_misses_a_capped_record(
            decided in 0i64..20_000,
            today in 0i64..20_000,
            months in 1u32..=120,
        ) {
            let base = d("2000-01-01");
            let decided = base + chrono::Days::new(decided as u64);
            let today = base + chrono::Days::new(today as u64);
            let bounds = DisclosureBounds { min_months: 0, max_months: months };
            let far = d("2200-01-01");
            if is_due(RecordState::Active, last_day(decided, far, bounds), today) {
                let cut = decided_before(months, today).unwrap();
                prop_assert!(decided < cut, "{decided} {today} {months} {cut}");
            }
        }
    }
}
