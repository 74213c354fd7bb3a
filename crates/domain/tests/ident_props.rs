//! Property tests of the identifiers (`ident`) and of the date parser (`date`).

use chrono::{Datelike, NaiveDate};
use probity_domain::Code;
use probity_domain::date::{format_date, parse_date};
use probity_domain::ident::{IdNumber, Uscc, mask_name};
use proptest::prelude::*;
use serde::Deserialize;
use serde::de::IntoDeserializer;
use serde::de::value::{Error as DeError, StrDeserializer};

const USCC_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const AUTHORITIES: &str = "123456789ANY";
const PROVINCES: [&str; 35] = [
    "10", "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82",
];

fn char_of(set: &'static str) -> impl Strategy<Value = char> {
    let chars: Vec<char> = set.chars().collect();
    proptest::sample::select(chars)
}

fn digits(n: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(char_of("0123456789"), n).prop_map(|v| v.into_iter().collect())
}

fn division() -> impl Strategy<Value = String> {
    (proptest::sample::select(PROVINCES.to_vec()), digits(4))
        .prop_map(|(p, rest)| format!("{p}{rest}"))
}

fn org_body() -> impl Strategy<Value = String> {
    proptest::collection::vec(char_of(USCC_CHARSET), 8).prop_map(|v| v.into_iter().collect())
}

fn uscc_parts() -> impl Strategy<Value = (char, char, String, String)> {
    (
        char_of(AUTHORITIES),
        char_of(USCC_CHARSET),
        division(),
        org_body(),
    )
}

fn valid_uscc() -> impl Strategy<Value = Uscc> {
    uscc_parts().prop_map(|(a, t, d, b)| Uscc::from_parts(a, t, &d, &b).expect("valid parts"))
}

fn birth_date() -> impl Strategy<Value = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(1900, 1, 1)
        .unwrap()
        .num_days_from_ce();
    let last = NaiveDate::from_ymd_opt(2099, 12, 31)
        .unwrap()
        .num_days_from_ce();
    (first..=last).prop_map(|n| NaiveDate::from_num_days_from_ce_opt(n).unwrap())
}

fn date_1900_2100() -> impl Strategy<Value = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(1900, 1, 1)
        .unwrap()
        .num_days_from_ce();
    let last = NaiveDate::from_ymd_opt(2100, 12, 31)
        .unwrap()
        .num_days_from_ce();
    (first..=last).prop_map(|n| NaiveDate::from_num_days_from_ce_opt(n).unwrap())
}

fn area_code() -> impl Strategy<Value = String> {
    (char_of("12345678"), digits(5)).prop_map(|(c, rest)| format!("{c}{rest}"))
}

fn valid_id() -> impl Strategy<Value = IdNumber> {
    (area_code(), birth_date(), 0u16..=999)
        .prop_map(|(a, b, s)| IdNumber::from_parts(&a, b, s).expect("valid parts"))
}

/// Strings near the shape of an identifier or a date: mixed ASCII, full-width, CJK and
/// separators, of lengths around 8-18, plus arbitrary unicode.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,40}",
        "[0-9A-Za-zIOSVZ０-９Ａ-Ｚａ-ｚ年月日号 T:./\\-＿－／．　中·]{0,24}",
        "[0-9xX]{14,19}",
        "[0-9]{1,9}(\\.[0-9]{0,3})?",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (a) Every code built from valid parts parses strictly and round-trips.
    #[test]
    fn uscc_from_parts_round_trips((a, t, d, b) in uscc_parts()) {
        let u = Uscc::from_parts(a, t, &d, &b).unwrap();
        prop_assert_eq!(u.as_str().len(), 18);
        prop_assert!(!u.check_overridden());
        prop_assert_eq!(u.division(), d.as_str());
        prop_assert_eq!(&u.org_code()[..8], b.as_str());
        prop_assert_eq!(Uscc::org_code_check_char(&b), u.org_code().chars().nth(8));
        prop_assert_eq!(Uscc::compute_check_char(&u.as_str()[..17]), u.as_str().chars().nth(17));

        let parsed = Uscc::parse(u.as_str()).unwrap();
        prop_assert_eq!(&parsed, &u);
        prop_assert_eq!(u.to_string().parse::<Uscc>().unwrap(), u.clone());
        prop_assert_eq!(Uscc::parse(&u.as_str().to_ascii_lowercase()).unwrap(), u.clone());
        prop_assert_eq!(Uscc::parse_overriding_check(u.as_str()).unwrap(), u.clone());
        let de: StrDeserializer<'_, DeError> = u.as_str().into_deserializer();
        prop_assert_eq!(Uscc::deserialize(de).unwrap(), u);
    }

    /// (b) Every single-char substitution of a valid code, at any position, by any other char of
    /// the charset or any other ASCII alphanumeric, is rejected by the strict parser. (A
    /// lowercase letter standing for the same uppercase letter is not a substitution: the input
    /// is uppercased.) When the override accepts such a code, it is flagged.
    #[test]
    fn uscc_single_substitution_is_rejected(u in valid_uscc()) {
        let code: Vec<char> = u.as_str().chars().collect();
        let replacements: Vec<char> = USCC_CHARSET
            .chars()
            .chain(('0'..='9').chain('A'..='Z').chain('a'..='z'))
            .collect();
        for pos in 0..18 {
            for &r in &replacements {
                if r.to_ascii_uppercase() == code[pos] {
                    continue;
                }
                let mut bad = code.clone();
                bad[pos] = r;
                let bad: String = bad.into_iter().collect();
                let strict = Uscc::parse(&bad);
                prop_assert!(strict.is_err(), "accepted {} (from {})", bad, u);
                if let Ok(o) = Uscc::parse_overriding_check(&bad) {
                    prop_assert!(o.check_overridden(), "{} not flagged", bad);
                    let code = strict.unwrap_err().code;
                    prop_assert!(
                        code == Code::UsccCheckDigit || code == Code::UsccOrgCodeCheckDigit,
                        "{}: {:?}", bad, code
                    );
                }
            }
        }
    }

    /// (c) Every single-char substitution of a valid identity number, at any position, by any
    /// other digit or `X`/`x`, is rejected; no error message contains either number.
    #[test]
    fn id_single_substitution_is_rejected(id in valid_id()) {
        let number: Vec<char> = id.as_str().chars().collect();
        let original_middle: String = number[4..14].iter().collect();
        for pos in 0..18 {
            for r in ('0'..='9').chain(['X', 'x']) {
                if r.to_ascii_uppercase() == number[pos] {
                    continue;
                }
                let mut bad = number.clone();
                bad[pos] = r;
                let bad: String = bad.into_iter().collect();
                let e = IdNumber::parse(&bad);
                prop_assert!(e.is_err(), "accepted {} (from {:?})", bad, id);
                let msg = e.unwrap_err().message;
                let bad_middle: String = bad.chars().skip(4).take(10).collect();
                prop_assert!(!msg.contains(&bad_middle), "{}", msg);
                prop_assert!(!msg.contains(&original_middle), "{}", msg);
            }
        }
    }

    /// (d) The identifier parsers never panic, and what they accept is normalised.
    #[test]
    fn ident_parsers_are_total(s in tricky_string()) {
        if let Ok(u) = Uscc::parse(&s) {
            prop_assert_eq!(u.as_str().len(), 18);
            prop_assert_eq!(Uscc::parse(u.as_str()).unwrap(), u);
        }
        if let Ok(u) = Uscc::parse_overriding_check(&s) {
            prop_assert_eq!(Uscc::parse_overriding_check(u.as_str()).unwrap(), u);
        }
        match IdNumber::parse(&s) {
            Ok(id) => prop_assert_eq!(IdNumber::parse(id.as_str()).unwrap(), id),
            Err(e) => {
                // Whatever was typed never reaches the message: at most one char of it, or the
                // masked form (whose runs of unmasked chars are at most 4 long).
                let t = s.trim().to_uppercase();
                if t.chars().count() >= 8 && !t.contains('*') {
                    prop_assert!(!e.message.contains(&t), "{}", e.message);
                }
            }
        }
        let _ = Uscc::compute_check_char(&s);
        let _ = Uscc::org_code_check_char(&s);
        let _ = IdNumber::compute_check_char(&s);
        let _ = mask_name(&s);
    }

    /// (e) The date parser never panics and whatever it accepts is in 1900..=2100.
    #[test]
    fn parse_date_is_total(s in tricky_string()) {
        if let Ok(d) = parse_date(&s) {
            prop_assert!((1900..=2100).contains(&d.year()), "{} → {}", s, d);
        }
    }

    /// (e) `format_date` round-trips, as do the other accepted spellings of the same date.
    #[test]
    fn parse_date_round_trips(d in date_1900_2100()) {
        let s = format_date(d);
        prop_assert_eq!(parse_date(&s), Ok(d));
        let (y, m, day) = (d.year(), d.month(), d.day());
        for other in [
            format!("{y}/{m}/{day}"),
            format!("{y}.{m:02}.{day:02}"),
            format!("{y}-{m}-{day}"),
            format!("{y}年{m}月{day}日"),
            format!("{y}{m:02}{day:02}"),
            format!("{s} 12:34:56"),
            format!("{s}T12:34:56"),
        ] {
            prop_assert_eq!(parse_date(&other), Ok(d), "{}", other);
        }
        // Excel serial (1900 date system; 1900-01-01 is 1, 1900-03-01 is 61).
        let days = (d - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days();
        let serial = if d < NaiveDate::from_ymd_opt(1900, 3, 1).unwrap() { days - 1 } else { days };
        // Four-digit serials that read as a year alone are refused as incomplete dates.
        if !(1900..=2100).contains(&serial) {
            prop_assert_eq!(parse_date(&serial.to_string()), Ok(d), "{}", serial);
        }
        prop_assert_eq!(parse_date(&format!("{serial}.0")), Ok(d), "{}", serial);
    }

    /// (f) The masked form (and Debug/Display) never contains the middle 10 chars.
    #[test]
    fn masked_hides_the_middle(id in valid_id()) {
        let full = id.as_str();
        let middle = &full[4..14];
        let masked = id.masked();
        prop_assert_eq!(masked.len(), 18);
        prop_assert_eq!(&masked[..4], &full[..4]);
        prop_assert_eq!(&masked[4..14], "**********");
        prop_assert_eq!(&masked[14..], &full[14..]);
        prop_assert!(!masked.contains(middle));
        let shown = [format!("{id}"), format!("{id:?}"), format!("{:?}", vec![id.clone()])];
        for text in shown {
            prop_assert!(!text.contains(middle), "{}", text);
        }
    }
}
