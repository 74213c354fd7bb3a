//! `parse_date` on arbitrary UTF-8: never panics, and every accepted date survives
//! `format_date` → `parse_date` unchanged and lies in the accepted year range.
#![no_main]

use chrono::Datelike;
use libfuzzer_sys::fuzz_target;
use probity_domain::date::{format_date, parse_date};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(d) = parse_date(s) {
        assert!((1900..=2100).contains(&d.year()), "{s:?} -> {d}");
        let text = format_date(d);
        assert_eq!(parse_date(&text), Ok(d), "{s:?} -> {text:?}");
    }
});
