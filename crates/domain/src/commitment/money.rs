//! Money and daily rates as officials write them, held as integers: amounts in 分 (hundredths of
//! a 元) and daily rates in hundred-millionths (1e-8) a day, so that 0.05% a day is 50,000. Late
//! interest is computed in 128-bit integers and rounded half up to the 分 once, at the end.

use crate::error::{Code, DomainError, Result};

/// The largest amount a row may carry: one hundred billion 元 (一千亿元), in 分.
pub const MAX_FEN: i64 = 100_000_000_000 * 100;

/// A daily rate in 1e-8 a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DailyRate(pub u32);

/// The largest daily rate accepted: 1% a day.
pub const MAX_RATE: DailyRate = DailyRate(1_000_000);

impl DailyRate {
    /// As officials read it: "0.05%".
    pub fn percent_text(self) -> String {
        // 1e-8 a day = 1e-6 %.
        let whole = self.0 / 1_000_000;
        let frac = self.0 % 1_000_000;
        if frac == 0 {
            return format!("{whole}%");
        }
        let f = format!("{frac:06}");
        format!("{whole}.{}%", f.trim_end_matches('0'))
    }

    /// Parses "0.05%", "0.0005" or "万分之五" (as contracts write it). Zero, negative, over 1% a day
    /// or finer than 1e-8 a day is refused.
    pub fn parse(s: &str, field: &str) -> Result<DailyRate> {
        let t = s.trim();
        let bad = || {
            DomainError::new(
                Code::RateInvalid,
                format!(
                    "{field}“{t}”无效：应写作 0.05%、0.0005 或“万分之五”，大于 0、不超过每日 1%"
                ),
            )
        };
        let e8: u128 = if let Some(n) = t.strip_prefix("万分之") {
            u128::from(chinese_digit(n).ok_or_else(bad)?) * 10_000
        } else if let Some(p) = t.strip_suffix('%').or_else(|| t.strip_suffix('％')) {
            decimal(p.trim(), 6).ok_or_else(bad)?
        } else {
            decimal(t, 8).ok_or_else(bad)?
        };
        if e8 == 0 || e8 > u128::from(MAX_RATE.0) {
            return Err(bad());
        }
        Ok(DailyRate(e8 as u32))
    }
}

/// 一 … 十 and 1 … 10, for "万分之五".
fn chinese_digit(s: &str) -> Option<u32> {
    const DIGITS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    let s = s.trim();
    DIGITS
        .iter()
        .position(|d| *d == s)
        .map(|i| i as u32 + 1)
        .or_else(|| s.parse::<u32>().ok().filter(|n| (1..=10).contains(n)))
}

/// A non-negative decimal with at most `places` places, scaled by 10^places. Thousands separators
/// (",", "，") are allowed in the whole part.
fn decimal(s: &str, places: u32) -> Option<u128> {
    let s: String = s.chars().filter(|c| *c != ',' && *c != '，').collect();
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s.as_str(), ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > places as usize
        || whole.len() > 20
    {
        return None;
    }
    let w: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut f: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    f *= 10u128.pow(places - frac.len() as u32);
    w.checked_mul(10u128.pow(places))?.checked_add(f)
}

/// Parses an amount in 元 ("1234", "1,234.5", "1234.56") into 分. Negative, more than two decimal
/// places, or more than `MAX_FEN` is refused; zero only when `zero_ok`.
pub fn parse_yuan(s: &str, field: &str, zero_ok: bool) -> Result<i64> {
    let t = s.trim();
    if t.is_empty() {
        return Err(DomainError::new(Code::Required, format!("{field}为空")));
    }
    let t = t.strip_suffix('元').unwrap_or(t).trim();
    let fen = decimal(t, 2).ok_or_else(|| {
        DomainError::new(
            Code::AmountInvalid,
            format!("{field}“{t}”不是有效金额：应为不小于 0 的数，单位为元，最多两位小数"),
        )
    })?;
    if fen > MAX_FEN as u128 {
        return Err(DomainError::new(
            Code::AmountInvalid,
            format!("{field}“{t}”超过上限（一千亿元）"),
        ));
    }
    if fen == 0 && !zero_ok {
        return Err(DomainError::new(
            Code::AmountInvalid,
            format!("{field}应大于 0"),
        ));
    }
    Ok(fen as i64)
}

/// An amount in 分 as 元 with two decimals and thousands separators: "1,234.50".
pub fn yuan_text(fen: i64) -> String {
    let neg = fen < 0;
    let f = fen.unsigned_abs();
    let whole = (f / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{:02}", if neg { "-" } else { "" }, f % 100)
}

/// An amount in 分 as a plain decimal for machines: "1234.50".
pub fn yuan_plain(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let f = fen.unsigned_abs();
    format!("{sign}{}.{:02}", f / 100, f % 100)
}

/// Interest on `fen_days` (分 × days overdue, summed) at `rate`, rounded half up to the 分.
pub fn interest(fen_days: i128, rate: DailyRate) -> i64 {
    let v = (fen_days.max(0) * i128::from(rate.0) + 50_000_000) / 100_000_000;
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_to_fen() {
        assert_eq!(parse_yuan("1234", "金额", false), Ok(123_400));
        assert_eq!(parse_yuan("1,234.5", "金额", false), Ok(123_450));
        assert_eq!(parse_yuan(" 0.01 元", "金额", false), Ok(1));
        assert_eq!(parse_yuan("0", "金额", true), Ok(0));
        for bad in ["-1", "1.234", "abc", "1e5", "0", "100000000000.01", "."] {
            assert!(parse_yuan(bad, "金额", false).is_err(), "{bad}");
        }
        assert_eq!(
            parse_yuan("", "金额", false).unwrap_err().code,
            Code::Required
        );
        assert_eq!(
            parse_yuan("-5", "付款金额", false).unwrap_err().message,
            "付款金额“-5”不是有效金额：应为不小于 0 的数，单位为元，最多两位小数"
        );
    }

    #[test]
    fn amounts_print_as_yuan() {
        assert_eq!(yuan_text(123_450), "1,234.50");
        assert_eq!(yuan_text(100_000_000), "1,000,000.00");
        assert_eq!(yuan_text(5), "0.05");
        assert_eq!(yuan_plain(123_450), "1234.50");
    }

    #[test]
    fn rates_parse_in_three_spellings() {
        assert_eq!(DailyRate::parse("0.05%", "利率"), Ok(DailyRate(50_000)));
        assert_eq!(DailyRate::parse("0.0005", "利率"), Ok(DailyRate(50_000)));
        assert_eq!(DailyRate::parse("万分之五", "利率"), Ok(DailyRate(50_000)));
        assert_eq!(DailyRate::parse("0.0085%", "利率"), Ok(DailyRate(8_500)));
        assert_eq!(DailyRate(50_000).percent_text(), "0.05%");
        assert_eq!(DailyRate(1_000_000).percent_text(), "1%");
        for bad in ["0", "0%", "2%", "-0.05%", "x", "0.000000001", "万分之零"] {
            assert_eq!(
                DailyRate::parse(bad, "利率").unwrap_err().code,
                Code::RateInvalid,
                "{bad}"
            );
        }
    }

    #[test]
    fn interest_rounds_half_up_once() {
        // 100,000.00 元 for 10 days at 0.05%: 500.00 元.
        assert_eq!(interest(10_000_000 * 10, DailyRate(50_000)), 50_000);
        // 0.01 元 for 1 day: 0.000005 元, rounds to 0.
        assert_eq!(interest(1, DailyRate(50_000)), 0);
        // 1 元 for 10 days at 0.05%: 0.005 元 rounds up to 0.01.
        assert_eq!(interest(100 * 10, DailyRate(50_000)), 1);
        assert_eq!(interest(-5, DailyRate(50_000)), 0);
    }
}
