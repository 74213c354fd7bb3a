//! The working-day calendar (工作日历): which days are working days in each year the calendar
//! knows. Saturdays and Sundays are days off, except the make-up working days (调休上班); public
//! holidays (法定节假日及调休放假) are days off whatever the weekday. Each year is data: the
//! credit office maintains it, and the State Council's yearly notices for 2025 and 2026 ship
//! with the platform ([`Calendar::official`]). A date in a year the calendar does not know is
//! refused (`CALENDAR_YEAR_MISSING`), never guessed: a deadline counted on a wrong calendar is a
//! wrong deadline.
//!
//! Every deadline of the cases is counted here in working days and stored as a date.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::{Code, DomainError, Result};

/// What a listed day is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A day off: a public holiday or a day off moved by 调休 (放假).
    Holiday,
    /// A weekend day worked in exchange (调休上班).
    Workday,
}

impl DayKind {
    pub fn code(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DayKind::Holiday => "放假",
            DayKind::Workday => "上班",
        }
    }

    /// The kind from its label (放假, 上班, 休, 班) or its code.
    pub fn parse(s: &str) -> Result<DayKind> {
        match s.trim() {
            "放假" | "休" | "休息" | "holiday" => Ok(DayKind::Holiday),
            "上班" | "班" | "调休上班" | "workday" => Ok(DayKind::Workday),
            other => Err(DomainError::new(
                Code::CalendarInvalid,
                format!("类型“{other}”无效：应为“放假”或“上班”"),
            )),
        }
    }
}

/// One listed day: a holiday, or a weekend day worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    /// What the day is for (元旦, 春节调休 …); may be empty.
    pub name: String,
}

/// The most characters a day's name may have.
pub const MAX_DAY_NAME: usize = 30;

/// The years a calendar may hold: far enough either way for any deadline of the platform.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// One year of the calendar: its listed days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Year {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
}

/// The working-day calendar of the years it knows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
    days: BTreeMap<NaiveDate, CalendarDay>,
}

impl Calendar {
    /// A calendar of `years`, with their listed days. Every problem is named at once: a day
    /// outside the years given, a date listed twice, a make-up working day that is not a
    /// weekend day, a name too long, a year outside 2000–2100.
    pub fn new(
        years: impl IntoIterator<Item = i32>,
        days: impl IntoIterator<Item = CalendarDay>,
    ) -> std::result::Result<Calendar, Vec<DomainError>> {
        let mut problems = Vec::new();
        let mut cal = Calendar::default();
        for y in years {
            if !(FIRST_YEAR..=LAST_YEAR).contains(&y) {
                problems.push(DomainError::new(
                    Code::CalendarInvalid,
                    format!("年份 {y} 超出范围（{FIRST_YEAR}–{LAST_YEAR}）"),
                ));
                continue;
            }
            cal.years.entry(y).or_default();
        }
        for day in days {
            let d = day.date;
            let Some(year) = cal.years.get_mut(&d.year()) else {
                problems.push(DomainError::new(
                    Code::CalendarInvalid,
                    format!("{d} 不在所维护的年份内"),
                ));
                continue;
            };
            if day.name.chars().count() > MAX_DAY_NAME {
                problems.push(DomainError::new(
                    Code::CalendarInvalid,
                    format!("{d} 的名称超过 {MAX_DAY_NAME} 个字"),
                ));
                continue;
            }
            if cal.days.contains_key(&d) {
                problems.push(DomainError::new(
                    Code::CalendarInvalid,
                    format!("{d} 重复列出"),
                ));
                continue;
            }
            match day.kind {
                DayKind::Workday if !is_weekend(d) => {
                    problems.push(DomainError::new(
                        Code::CalendarInvalid,
                        format!("{d} 是工作日，不需要列为调休上班"),
                    ));
                    continue;
                }
                DayKind::Workday => year.workdays.insert(d),
                DayKind::Holiday => year.holidays.insert(d),
            };
            cal.days.insert(d, day);
        }
        if problems.is_empty() {
            Ok(cal)
        } else {
            Err(problems)
        }
    }

    /// The calendar of the State Council's notices shipped with the platform: 2025
    /// (国办发明电〔2024〕12号) and 2026 (国务院办公厅 2025 年 11 月 4 日通知).
    pub fn official() -> Calendar {
        let mut days = Vec::new();
        for (year, list) in OFFICIAL {
            for (m, d, kind, name) in *list {
                if let Some(date) = NaiveDate::from_ymd_opt(*year, *m, *d) {
                    days.push(CalendarDay {
                        date,
                        kind: *kind,
                        name: (*name).to_string(),
                    });
                }
            }
        }
        // The data above is checked by this module's tests.
        Calendar::new(OFFICIAL.iter().map(|(y, _)| *y), days).unwrap_or_default()
    }

    /// The years the calendar knows, in order.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// The listed days of `year` (holidays and make-up working days), in date order.
    pub fn days_of(&self, year: i32) -> impl Iterator<Item = &CalendarDay> + '_ {
        let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
        let to = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MIN);
        self.days.range(from..=to).map(|(_, d)| d)
    }

    /// The calendar with `other`'s years put in place of its own (an import of those years).
    pub fn merged(&self, other: &Calendar) -> Calendar {
        let mut out = self.clone();
        for (y, year) in &other.years {
            out.years.insert(*y, year.clone());
            let from = NaiveDate::from_ymd_opt(*y, 1, 1).unwrap_or(NaiveDate::MIN);
            let to = NaiveDate::from_ymd_opt(*y, 12, 31).unwrap_or(NaiveDate::MIN);
            let stale: Vec<NaiveDate> = out.days.range(from..=to).map(|(d, _)| *d).collect();
            for d in stale {
                out.days.remove(&d);
            }
            out.days
                .extend(other.days.range(from..=to).map(|(d, v)| (*d, v.clone())));
        }
        out
    }

    fn year(&self, d: NaiveDate) -> Result<&Year> {
        self.years.get(&d.year()).ok_or_else(|| {
            DomainError::new(
                Code::CalendarYearMissing,
                format!(
                    "{} 年的工作日历尚未维护，无法计算期限（请信用办在“工作日历”中导入该年的放假安排）",
                    d.year()
                ),
            )
        })
    }

    /// Whether `d` is a working day; refused for a year the calendar does not know.
    pub fn is_working_day(&self, d: NaiveDate) -> Result<bool> {
        let y = self.year(d)?;
        Ok(if y.holidays.contains(&d) {
            false
        } else if y.workdays.contains(&d) {
            true
        } else {
            !is_weekend(d)
        })
    }

    /// The `n`-th working day after `date` (`date` itself not counted; `n = 0` is `date`).
    /// Refused when the count runs into a year the calendar does not know.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate> {
        let mut d = date;
        let mut left = n;
        while left > 0 {
            d = d.succ_opt().ok_or_else(|| {
                DomainError::new(Code::CalendarYearMissing, "日期超出可计算的范围")
            })?;
            if self.is_working_day(d)? {
                left -= 1;
            }
        }
        Ok(d)
    }

    /// The working days after `from` up to and including `to` (negative when `to` is before
    /// `from`): how many working days are left until a deadline, or how many it is overdue.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> Result<i64> {
        if to < from {
            return Ok(-self.working_days_between(to, from)?);
        }
        // Both ends must lie in known years, even when no day between is counted.
        self.year(from)?;
        let mut count = 0i64;
        let mut d = from;
        while d < to {
            d = d.succ_opt().ok_or_else(|| {
                DomainError::new(Code::CalendarYearMissing, "日期超出可计算的范围")
            })?;
            if self.is_working_day(d)? {
                count += 1;
            }
        }
        Ok(count)
    }
}

use DayKind::{Holiday as H, Workday as W};

type OfficialYear = (i32, &'static [(u32, u32, DayKind, &'static str)]);

/// The State Council's notices, day by day.
const OFFICIAL: &[OfficialYear] = &[
    (
        2025,
        &[
            (1, 1, H, "元旦"),
            (1, 26, W, "春节调休上班"),
            (1, 28, H, "春节"),
            (1, 29, H, "春节"),
            (1, 30, H, "春节"),
            (1, 31, H, "春节"),
            (2, 1, H, "春节"),
            (2, 2, H, "春节"),
            (2, 3, H, "春节"),
            (2, 4, H, "春节"),
            (2, 8, W, "春节调休上班"),
            (4, 4, H, "清明节"),
            (4, 5, H, "清明节"),
            (4, 6, H, "清明节"),
            (4, 27, W, "劳动节调休上班"),
            (5, 1, H, "劳动节"),
            (5, 2, H, "劳动节"),
            (5, 3, H, "劳动节"),
            (5, 4, H, "劳动节"),
            (5, 5, H, "劳动节"),
            (5, 31, H, "端午节"),
            (6, 1, H, "端午节"),
            (6, 2, H, "端午节"),
            (9, 28, W, "国庆节调休上班"),
            (10, 1, H, "国庆节、中秋节"),
            (10, 2, H, "国庆节、中秋节"),
            (10, 3, H, "国庆节、中秋节"),
            (10, 4, H, "国庆节、中秋节"),
            (10, 5, H, "国庆节、中秋节"),
            (10, 6, H, "国庆节、中秋节"),
            (10, 7, H, "国庆节、中秋节"),
            (10, 8, H, "国庆节、中秋节"),
            (10, 11, W, "国庆节调休上班"),
        ],
    ),
    (
        2026,
        &[
            (1, 1, H, "元旦"),
            (1, 2, H, "元旦"),
            (1, 3, H, "元旦"),
            (1, 4, W, "元旦调休上班"),
            (2, 14, W, "春节调休上班"),
            (2, 15, H, "春节"),
            (2, 16, H, "春节"),
            (2, 17, H, "春节"),
            (2, 18, H, "春节"),
            (2, 19, H, "春节"),
            (2, 20, H, "春节"),
            (2, 21, H, "春节"),
            (2, 22, H, "春节"),
            (2, 23, H, "春节"),
            (2, 28, W, "春节调休上班"),
            (4, 4, H, "清明节"),
            (4, 5, H, "清明节"),
            (4, 6, H, "清明节"),
            (5, 1, H, "劳动节"),
            (5, 2, H, "劳动节"),
            (5, 3, H, "劳动节"),
            (5, 4, H, "劳动节"),
            (5, 5, H, "劳动节"),
            (5, 9, W, "劳动节调休上班"),
            (6, 19, H, "端午节"),
            (6, 20, H, "端午节"),
            (6, 21, H, "端午节"),
            (9, 20, W, "国庆节调休上班"),
            (9, 25, H, "中秋节"),
            (9, 26, H, "中秋节"),
            (9, 27, H, "中秋节"),
            (10, 1, H, "国庆节"),
            (10, 2, H, "国庆节"),
            (10, 3, H, "国庆节"),
            (10, 4, H, "国庆节"),
            (10, 5, H, "国庆节"),
            (10, 6, H, "国庆节"),
            (10, 7, H, "国庆节"),
            (10, 10, W, "国庆节调休上班"),
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_shipped_notices_are_valid_and_complete() {
        let mut days = Vec::new();
        for (year, list) in OFFICIAL {
            for (m, dd, kind, name) in *list {
                days.push(CalendarDay {
                    date: NaiveDate::from_ymd_opt(*year, *m, *dd).expect("a real date"),
                    kind: *kind,
                    name: (*name).into(),
                });
            }
        }
        let cal = Calendar::new([2025, 2026], days).expect("the notices are consistent");
        assert_eq!(cal, Calendar::official());
        assert_eq!(cal.years().collect::<Vec<_>>(), [2025, 2026]);
        // The notices' counts: 2025 has 8 + 8 + 5 + 3 + 3 + 1 listed holiday days and 5
        // make-up days; 2026 has 3 + 9 + 3 + 5 + 3 + 3 + 7 and 6.
        let count = |y, k| cal.days_of(y).filter(|x| x.kind == k).count();
        assert_eq!((count(2025, H), count(2025, W)), (28, 5));
        assert_eq!((count(2026, H), count(2026, W)), (33, 6));
        // Each year's working days, as the notices give them: 261 weekdays in 2025, 18 of them
        // holidays, 5 weekend days worked; 2026 alike (261, 19, 6).
        for y in [2025, 2026] {
            let mut day = NaiveDate::from_ymd_opt(y, 1, 1).unwrap();
            let mut n = 0;
            while day.year() == y {
                n += usize::from(cal.is_working_day(day).unwrap());
                day = day.succ_opt().unwrap();
            }
            assert_eq!(n, 248, "{y}");
        }
    }

    #[test]
    fn deadlines_skip_weekends_and_holidays_and_count_make_up_days() {
        let cal = Calendar::official();
        // A Friday plus one working day is the Monday.
        assert_eq!(
            cal.add_working_days(d("2026-03-06"), 1).unwrap(),
            d("2026-03-09")
        );
        // Before the Spring Festival: Fri 13 Feb, then Sat 14 Feb is worked (调休).
        assert_eq!(
            cal.add_working_days(d("2026-02-13"), 1).unwrap(),
            d("2026-02-14")
        );
        // …then nine days off: the next working day is Tue 24 Feb.
        assert_eq!(
            cal.add_working_days(d("2026-02-14"), 1).unwrap(),
            d("2026-02-24")
        );
        // Ten working days from 2026-09-28 (Mon): 29, 30, 8 (Thu), 9, 10 (Sat, worked), 12 …
        assert_eq!(
            cal.add_working_days(d("2026-09-28"), 10).unwrap(),
            d("2026-10-16")
        );
        assert_eq!(
            cal.add_working_days(d("2026-09-28"), 0).unwrap(),
            d("2026-09-28")
        );
        assert_eq!(
            cal.working_days_between(d("2026-09-28"), d("2026-10-16"))
                .unwrap(),
            10
        );
        assert_eq!(
            cal.working_days_between(d("2026-10-16"), d("2026-09-28"))
                .unwrap(),
            -10
        );
        assert!(!cal.is_working_day(d("2026-10-01")).unwrap());
        assert!(cal.is_working_day(d("2026-10-10")).unwrap());
        assert!(!cal.is_working_day(d("2026-10-11")).unwrap());
    }

    #[test]
    fn a_year_without_data_is_refused_not_guessed() {
        let cal = Calendar::official();
        let e = cal.add_working_days(d("2026-12-28"), 10).unwrap_err();
        assert_eq!(e.code, Code::CalendarYearMissing);
        assert!(
            e.message.contains("2027 年的工作日历尚未维护"),
            "{}",
            e.message
        );
        assert_eq!(
            cal.is_working_day(d("2024-06-03")).unwrap_err().code,
            Code::CalendarYearMissing
        );
        assert!(
            cal.working_days_between(d("2024-12-31"), d("2025-01-02"))
                .is_err()
        );
    }

    #[test]
    fn bad_calendar_data_is_refused_with_every_problem() {
        let day = |s: &str, kind| CalendarDay {
            date: d(s),
            kind,
            name: String::new(),
        };
        let errs = Calendar::new(
            [2027, 1999],
            [
                day("2027-01-01", H),
                day("2027-01-01", H),
                day("2027-01-04", W), // a Monday
                day("2028-01-01", H),
            ],
        )
        .unwrap_err();
        let messages: Vec<&str> = errs.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("1999")));
        assert!(messages.iter().any(|m| m.contains("重复")));
        assert!(messages.iter().any(|m| m.contains("不需要列为调休上班")));
        assert!(messages.iter().any(|m| m.contains("不在所维护的年份内")));
        assert!(errs.iter().all(|e| e.code == Code::CalendarInvalid));
        assert_eq!(DayKind::parse("上班").unwrap(), W);
        assert_eq!(DayKind::parse("放假").unwrap(), H);
        assert_eq!(
            DayKind::parse("加班").unwrap_err().code,
            Code::CalendarInvalid
        );
    }

    #[test]
    fn an_imported_year_replaces_that_year_only() {
        let official = Calendar::official();
        let y2027 = Calendar::new(
            [2027],
            [CalendarDay {
                date: d("2027-01-01"),
                kind: H,
                name: "元旦".into(),
            }],
        )
        .unwrap();
        let cal = official.merged(&y2027);
        assert_eq!(cal.years().collect::<Vec<_>>(), [2025, 2026, 2027]);
        assert!(!cal.is_working_day(d("2027-01-01")).unwrap());
        assert_eq!(cal.days_of(2026).count(), official.days_of(2026).count());
        // 2026 replaced by a year with no listed days: 1 Oct is then a plain Thursday.
        let bare = cal.merged(&Calendar::new([2026], []).unwrap());
        assert!(bare.is_working_day(d("2026-10-01")).unwrap());
        assert_eq!(bare.days_of(2026).count(), 0);
        assert_eq!(bare.days_of(2025).count(), official.days_of(2025).count());
    }
}
