//! Property tests of the working-day calendar: a deadline is a working day, counting back gives
//! the days added, a later count never lands earlier, and a count that leaves the known years is
//! refused rather than guessed.

use chrono::{Datelike, NaiveDate, TimeDelta};
use probity_domain::Code;
use probity_domain::calendar::Calendar;
use proptest::prelude::*;

fn known_day() -> impl Strategy<Value = NaiveDate> {
    (0i64..730).prop_map(|i| NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + TimeDelta::days(i))
}

proptest! {
    #[test]
    fn deadlines_are_working_days_and_count_back(start in known_day(), n in 0u32..300) {
        let cal = Calendar::official();
        match cal.add_working_days(start, n) {
            Ok(due) => {
                prop_assert!(due >= start);
                if n > 0 {
                    prop_assert!(due > start);
                    prop_assert!(cal.is_working_day(due).unwrap(), "{due} is not a working day");
                }
                prop_assert_eq!(cal.working_days_between(start, due).unwrap(), i64::from(n));
                prop_assert_eq!(cal.working_days_between(due, start).unwrap(), -i64::from(n));
                if let Ok(next) = cal.add_working_days(start, n + 1) {
                    prop_assert!(next > due);
                }
            }
            Err(e) => {
                // Only running past the last known year is refused.
                prop_assert_eq!(e.code, Code::CalendarYearMissing);
                let last = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
                let left = cal.working_days_between(start, last).unwrap();
                prop_assert!(left < i64::from(n), "{left} working days were left for {n}");
                prop_assert!(e.message.contains("2027"));
            }
        }
    }

    #[test]
    fn a_weekday_outside_the_notices_is_a_working_day(start in known_day()) {
        let cal = Calendar::official();
        let listed = cal.days_of(start.year()).any(|d| d.date == start);
        let weekend = start.weekday().number_from_monday() >= 6;
        if !listed {
            prop_assert_eq!(cal.is_working_day(start).unwrap(), !weekend);
        }
    }
}
