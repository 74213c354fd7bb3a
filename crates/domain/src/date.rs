//! The one date parser of Probity: every date typed in a form or read from an import file goes
//! through [`parse_date`], and every date shown or exported is written by [`format_date`].
//!
//! Accepted (full-width digits and punctuation are converted first):
//!
//! * `2024-01-05`, `2024-1-5`, `2024/01/05`, `2024/1/5`, `2024.1.5` (same separator twice);
//! * `2024年1月5日` (the final `日` or `号` may be omitted);
//! * `20240105` (8 digits);
//! * Excel serial dates of the 1900 date system: an integer, or a number whose fraction is only
//!   zeros (`45296.0`), from 1 to 2958465 (1 = 1900-01-01, 61 = 1900-03-01; 60 is Excel's
//!   fictitious 1900-02-29 and is rejected);
//! * any of the above followed by a time part after a space or `T` (`2024-01-05 00:00:00`,
//!   `2024-01-05T08:00:00+08:00`); the time part must start with a digit and is ignored.
//!
//! Years outside 1900..=2100 are rejected.

use chrono::{Datelike, Days, Months, NaiveDate};

use crate::error::{Code, DomainError, Result};
use crate::ident::{excerpt, half_width};

/// Years accepted by [`parse_date`].
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// Largest Excel serial date (9999-12-31).
const MAX_EXCEL_SERIAL: u32 = 2_958_465;

/// Excel's fictitious 1900-02-29.
const EXCEL_LEAP_BUG_SERIAL: u32 = 60;

enum Raw<'a> {
    Ymd(&'a str, &'a str, &'a str),
    Serial(u32),
}

/// Parses a date as people and spreadsheets write it (see the module documentation).
///
/// Errors: [`Code::Required`] for an empty input, [`Code::DateInvalid`] otherwise, naming the
/// offending value ("日期不存在：2024-02-30").
pub fn parse_date(s: &str) -> Result<NaiveDate> {
    let normalized: String = s.chars().map(half_width).collect();
    let t = normalized.trim();
    if t.is_empty() {
        return Err(DomainError::new(Code::Required, "日期为空"));
    }
    let unrecognised = || {
        DomainError::new(
            Code::DateInvalid,
            format!("无法识别的日期：{}，请使用 2024-01-05 格式", excerpt(t)),
        )
    };

    let (date_part, time_part) = t
        .split_once(|c: char| c.is_whitespace() || c == 'T' || c == 't')
        .unwrap_or((t, ""));
    let time_part = time_part.trim();
    if !time_part.is_empty() && !time_part.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(unrecognised());
    }

    match split_date(date_part).ok_or_else(unrecognised)? {
        // "2024" alone is far more likely a year with the month and day missing than Excel's
        // serial for 1905-07-16.
        Raw::Serial(n) if date_part.len() == 4 && (1900..=2100).contains(&n) => {
            Err(DomainError::new(
                Code::DateInvalid,
                format!("日期不完整：{date_part}（只有年份，缺少月和日），请使用 2024-01-05 格式"),
            ))
        }
        Raw::Serial(n) => from_excel_serial(n),
        Raw::Ymd(y, m, d) => {
            let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
            if y.len() != 4
                || !(1..=2).contains(&m.len())
                || !(1..=2).contains(&d.len())
                || ![y, m, d].into_iter().all(all_digits)
            {
                return Err(unrecognised());
            }
            // At most 4 ASCII digits each: these parses cannot fail.
            let (y, m, d) = (
                y.parse::<i32>().unwrap_or(0),
                m.parse::<u32>().unwrap_or(0),
                d.parse::<u32>().unwrap_or(0),
            );
            let date = NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| {
                DomainError::new(
                    Code::DateInvalid,
                    format!("日期不存在：{y:04}-{m:02}-{d:02}"),
                )
            })?;
            check_year(date, "")
        }
    }
}

/// Splits the date part (time already removed) into its pieces, or `None` if it has none of the
/// accepted shapes. Only the shape is checked here.
fn split_date(p: &str) -> Option<Raw<'_>> {
    let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());

    // Excel serial: 1-7 digits, optionally followed by a fraction of zeros.
    let (int, frac) = p.split_once('.').unwrap_or((p, ""));
    let zero_fraction =
        p.len() == int.len() || (!frac.is_empty() && frac.bytes().all(|b| b == b'0'));
    if is_digits(int) && int.len() <= 7 && zero_fraction {
        return int.parse().ok().map(Raw::Serial);
    }
    // YYYYMMDD.
    if is_digits(p) && p.len() == 8 {
        return Some(Raw::Ymd(&p[..4], &p[4..6], &p[6..]));
    }
    // 2024年1月5日.
    if let Some((y, rest)) = p.split_once('年') {
        let (m, d) = rest.split_once('月')?;
        let d = d
            .strip_suffix('日')
            .or_else(|| d.strip_suffix('号'))
            .unwrap_or(d);
        return Some(Raw::Ymd(y, m, d));
    }
    // 2024-1-5, 2024/1/5, 2024.1.5.
    let sep = p.chars().find(|c| !c.is_ascii_digit())?;
    if !matches!(sep, '-' | '/' | '.') {
        return None;
    }
    let mut parts = p.split(sep);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some(Raw::Ymd(y, m, d))
}

/// Date of an Excel serial number (1900 date system, including Excel's fictitious 1900-02-29).
fn from_excel_serial(n: u32) -> Result<NaiveDate> {
    if n == 0 || n > MAX_EXCEL_SERIAL {
        return Err(DomainError::new(
            Code::DateInvalid,
            format!(
                "Excel 日期序号 {n} 超出范围（应在1-{MAX_EXCEL_SERIAL}之间），请使用 2024-01-05 格式"
            ),
        ));
    }
    if n == EXCEL_LEAP_BUG_SERIAL {
        return Err(DomainError::new(
            Code::DateInvalid,
            "Excel 日期序号 60 对应不存在的日期 1900-02-29",
        ));
    }
    // Serial 1 is 1900-01-01; from 61 on, the fictitious 1900-02-29 shifts the count by a day.
    let (base_y, base_m, base_d) = if n < EXCEL_LEAP_BUG_SERIAL {
        (1899, 12, 31)
    } else {
        (1899, 12, 30)
    };
    let date = NaiveDate::from_ymd_opt(base_y, base_m, base_d)
        .and_then(|base| base.checked_add_days(Days::new(u64::from(n))))
        .ok_or_else(|| {
            DomainError::new(
                Code::DateInvalid,
                format!("Excel 日期序号 {n} 无法换算为日期"),
            )
        })?;
    check_year(date, &format!("（由 Excel 日期序号 {n} 换算）"))
}

fn check_year(date: NaiveDate, note: &str) -> Result<NaiveDate> {
    if YEARS.contains(&date.year()) {
        Ok(date)
    } else {
        Err(DomainError::new(
            Code::DateInvalid,
            format!(
                "日期年份超出范围（应在1900-2100年之间）：{}{note}",
                format_date(date)
            ),
        ))
    }
}

/// `d` plus `months` calendar months, clamped to the end of the month (2024-01-31 + 1 →
/// 2024-02-29), saturating at [`NaiveDate::MAX`].
pub fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// `YYYY-MM-DD`, the only date format Probity writes.
pub fn format_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn err(s: &str) -> DomainError {
        parse_date(s).unwrap_err()
    }

    #[test]
    fn accepted_formats() {
        let jan5 = date(2024, 1, 5);
        for s in [
            "2024-01-05",
            "2024-1-5",
            "2024/1/5",
            "2024/01/05",
            "2024.1.5",
            "2024.01.05",
            "2024年1月5日",
            "2024年01月05日",
            "2024年1月5",
            "2024年1月5号",
            "20240105",
            "2024-01-05 00:00:00",
            "2024-01-05T08:00:00",
            "2024-01-05T08:00:00+08:00",
            "2024/1/5 8:30",
            "2024年1月5日 08:00",
            "  2024-01-05  ",
            "２０２４－０１－０５",
            "２０２４年１月５日",
            "\u{3000}２０２４０１０５\u{3000}",
            "45296",
            "45296.0",
            "45296.000",
            "45296 00:00:00",
        ] {
            assert_eq!(parse_date(s), Ok(jan5), "{s:?}");
        }
    }

    #[test]
    fn excel_serials() {
        assert_eq!(parse_date("25569"), Ok(date(1970, 1, 1))); // Unix epoch
        assert_eq!(parse_date("1"), Ok(date(1900, 1, 1)));
        assert_eq!(parse_date("59"), Ok(date(1900, 2, 28)));
        assert_eq!(parse_date("61"), Ok(date(1900, 3, 1)));
        assert_eq!(parse_date("73415"), Ok(date(2100, 12, 31)));
        // A bare integer is a serial, unless it looks like a year alone.
        assert_eq!(parse_date("1000"), Ok(date(1902, 9, 26)));
        assert!(err("2024").message.contains("只有年份"));
        let e = err("60");
        assert_eq!(e.code, Code::DateInvalid);
        assert!(e.message.contains("1900-02-29"), "{e}");
        let e = err("0");
        assert_eq!(e.code, Code::DateInvalid);
        assert!(e.message.contains("超出范围"), "{e}");
        let e = err("2958465"); // 9999-12-31: a real date, but out of the year range
        assert!(
            e.message.contains("9999-12-31") && e.message.contains("2958465"),
            "{e}"
        );
        assert_eq!(err("2958466").code, Code::DateInvalid);
        assert_eq!(err("73416").code, Code::DateInvalid); // 2101-01-01
        assert_eq!(err("45296.5").code, Code::DateInvalid);
        assert_eq!(err("45296.").code, Code::DateInvalid);
        assert_eq!(err(".0").code, Code::DateInvalid);
        assert_eq!(err("12345678.0").code, Code::DateInvalid);
    }

    #[test]
    fn rejected() {
        let e = err("");
        assert_eq!((e.code, e.message.as_str()), (Code::Required, "日期为空"));
        assert_eq!(err(" \t\u{3000}").code, Code::Required);

        let e = err("2024-02-30");
        assert_eq!(
            (e.code, e.message.as_str()),
            (Code::DateInvalid, "日期不存在：2024-02-30")
        );
        assert_eq!(err("2023-2-29").message, "日期不存在：2023-02-29");
        assert_eq!(err("2024年13月1日").message, "日期不存在：2024-13-01");
        assert_eq!(err("20240001").message, "日期不存在：2024-00-01");
        assert_eq!(err("2024/4/31").message, "日期不存在：2024-04-31");

        for garbage in [
            "abc",
            "2024-01",
            "2024-01-05-01",
            "2024-01/05",
            "24-1-5",
            "1/5/2024",
            "05.01.2024",
            "2024-001-05",
            "2024-01-05 foo",
            "2024-01-05Tbar",
            "T08:00",
            "2024年1月",
            "2024年1月5日上午",
            "２０２４—０１—０５",
            "-45296",
            "202401050",
            "二〇二四年一月五日",
        ] {
            let e = err(garbage);
            assert_eq!(e.code, Code::DateInvalid, "{garbage:?}");
            assert!(
                e.message.starts_with("无法识别的日期："),
                "{garbage:?}: {e}"
            );
            assert!(
                e.message.ends_with("请使用 2024-01-05 格式"),
                "{garbage:?}: {e}"
            );
        }

        let e = err("1899-12-31");
        assert_eq!(e.code, Code::DateInvalid);
        assert!(e.message.contains("1899-12-31"), "{e}");
        assert_eq!(err("2101-01-01").code, Code::DateInvalid);
        assert_eq!(parse_date("1900-01-01"), Ok(date(1900, 1, 1)));
        assert_eq!(parse_date("2100-12-31"), Ok(date(2100, 12, 31)));
    }

    #[test]
    fn long_garbage_is_cut_in_the_message() {
        let long = "x".repeat(10_000);
        let e = err(&long);
        assert!(e.message.chars().count() < 100, "{}", e.message.len());
    }

    #[test]
    fn add_months_clamps_and_saturates() {
        assert_eq!(add_months(date(2024, 1, 31), 1), date(2024, 2, 29));
        assert_eq!(add_months(date(2023, 1, 31), 1), date(2023, 2, 28));
        assert_eq!(add_months(date(2024, 1, 31), 3), date(2024, 4, 30));
        assert_eq!(add_months(date(2024, 1, 5), 0), date(2024, 1, 5));
        assert_eq!(add_months(date(2024, 11, 30), 3), date(2025, 2, 28));
        assert_eq!(add_months(date(2024, 2, 29), 12), date(2025, 2, 28));
        assert_eq!(add_months(date(2024, 1, 5), 36), date(2027, 1, 5));
        assert_eq!(add_months(date(2024, 1, 5), u32::MAX), NaiveDate::MAX);
        assert_eq!(add_months(NaiveDate::MAX, 1), NaiveDate::MAX);
    }

    #[test]
    fn format() {
        assert_eq!(format_date(date(2024, 1, 5)), "2024-01-05");
        assert_eq!(format_date(date(1900, 12, 31)), "1900-12-31");
    }
}

/// China Standard Time (UTC+8, no daylight saving): what "today" means for dates on records, and
/// how every time is shown to officials and the public. The one place the offset is written.
pub fn beijing() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The Beijing calendar date at the instant `t`.
pub fn beijing_date(t: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    t.with_timezone(&beijing()).date_naive()
}

/// The day of the week in Chinese (星期一 … 星期日), as calendars and deadlines show it.
pub fn weekday_label(d: NaiveDate) -> &'static str {
    use chrono::{Datelike, Weekday};
    match d.weekday() {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

/// The instant `t` as officials read it: Beijing time, to the minute (`2026-12-01 10:05`).
pub fn beijing_minute(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&beijing())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// The instant `t` in Beijing time, to the second (`2026-12-01 10:05:09`).
pub fn beijing_second(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&beijing())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod beijing_tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_beijing_day_starts_at_16_utc() {
        let before = chrono::Utc
            .with_ymd_and_hms(2026, 5, 24, 15, 59, 59)
            .unwrap();
        let after = chrono::Utc.with_ymd_and_hms(2026, 5, 24, 16, 0, 0).unwrap();
        assert_eq!(beijing_date(before).to_string(), "2026-05-24");
        assert_eq!(beijing_date(after).to_string(), "2026-05-25");
        assert_eq!(beijing_minute(after), "2026-05-25 00:00");
        assert_eq!(beijing_second(before), "2026-05-24 23:59:59");
    }
}
