//! Conversions of typed cell values to the text handed to callers.

/// Text of a spreadsheet number as Excel displays it in a "General" cell:
/// rounded to 15 significant digits, integral values without a fraction
/// (`45296.0` → `"45296"`), never in exponent notation; non-finite → `""`.
pub(crate) fn excel_number_text(f: f64) -> String {
    if !f.is_finite() {
        return String::new();
    }
    let rounded = format!("{f:.14e}").parse::<f64>().unwrap_or(f);
    plain_float_text(rounded)
}

/// Shortest round-trip text of a float, `-0` as `0`, non-finite → `""`.
pub(crate) fn plain_float_text(f: f64) -> String {
    if !f.is_finite() {
        String::new()
    } else if f == 0.0 {
        "0".to_string()
    } else {
        format!("{f}")
    }
}

/// Text of a JSON value: strings as is, integers without `.0`, floats in
/// shortest form, booleans `true`/`false`, null `""`, arrays/objects as JSON.
pub(crate) fn json_value_text(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                n.as_f64()
                    .map(plain_float_text)
                    .unwrap_or_else(|| n.to_string())
            }
        }
        Value::Array(_) | Value::Object(_) => v.to_string(),
    }
}

/// Text of an Excel date/time serial: `YYYY-MM-DD` for dates and date-times,
/// `HH:MM:SS` for a pure time of day (serial between 0 and 1).
pub(crate) fn excel_datetime_text(dt: &calamine::ExcelDateTime) -> String {
    let v = dt.as_f64();
    if !v.is_finite() {
        return String::new();
    }
    if dt.is_duration() || (v > 0.0 && v < 1.0) {
        return time_text(v);
    }
    let (y, m, d, ..) = dt.to_ymd_hms_milli();
    format!("{y:04}-{m:02}-{d:02}")
}

fn time_text(days: f64) -> String {
    let total = (days * 86_400.0).round();
    if !total.is_finite() || total.abs() > 1e12 {
        return excel_number_text(days);
    }
    let total = total as i64;
    let sign = if total < 0 { "-" } else { "" };
    let t = total.unsigned_abs();
    format!("{sign}{:02}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60)
}

/// Text of an ISO 8601 date-time from an `.xlsx` (strict OOXML): the date part.
pub(crate) fn iso_date_text(s: &str) -> String {
    let b = s.as_bytes();
    let looks_like_date = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit);
    if looks_like_date {
        s.get(..10).unwrap_or(s).to_string()
    } else {
        s.to_string()
    }
}

/// Characters that make a spreadsheet treat a text cell as a formula.
fn starts_like_formula(s: &str) -> bool {
    matches!(s.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'))
}

/// Whether `s` is a plain decimal number (those are safe to leave alone).
fn is_plain_number(s: &str) -> bool {
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    !t.is_empty()
        && t.chars().all(|c| c.is_ascii_digit() || c == '.')
        && t.chars().filter(|c| *c == '.').count() <= 1
        && t.chars().any(|c| c.is_ascii_digit())
}

/// Whether a cell needs the `'` prefix: after any leading apostrophes it
/// starts like a formula and is not a plain number or a lone sign.
fn needs_quote_prefix(s: &str) -> bool {
    let core = s.trim_start_matches('\'');
    core.chars().count() > 1 && starts_like_formula(core) && !is_plain_number(core)
}

/// CSV-injection guard for exports: prefixes `'` to text that a spreadsheet
/// would evaluate as a formula (`=`, `+`, `-`, `@`, TAB, CR first), except
/// plain numbers and a lone sign. [`unescape_csv_text`] undoes it exactly.
pub(crate) fn escape_csv_text(s: &str) -> std::borrow::Cow<'_, str> {
    if needs_quote_prefix(s) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Undoes spreadsheet-specific text protections in a trimmed CSV cell:
/// `="0123"` (Excel's keep-leading-zeros trick) → `0123`, and the `'` prefix
/// added by [`escape_csv_text`] before formula characters.
pub(crate) fn unescape_csv_text(s: String) -> String {
    let wrapped = s
        .strip_prefix("=\"")
        .and_then(|rest| rest.strip_suffix('"'))
        .filter(|inner| !inner.contains('"'));
    if let Some(inner) = wrapped {
        return inner.trim().to_string();
    }
    match s.strip_prefix('\'') {
        Some(rest) if needs_quote_prefix(rest) => rest.to_string(),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(excel_number_text(45296.0), "45296");
        assert_eq!(excel_number_text(0.1 + 0.2), "0.3");
        assert_eq!(excel_number_text(-0.0), "0");
        assert_eq!(excel_number_text(1.5), "1.5");
        assert_eq!(excel_number_text(f64::NAN), "");
        assert_eq!(
            excel_number_text(110105199001011000.0),
            "110105199001011000"
        );
        assert_eq!(plain_float_text(2.5e-7), "0.00000025");
    }

    #[test]
    fn json_values() {
        let v: serde_json::Value =
            serde_json::from_str(r#"[1, -2, 3.0, 2.5, true, null, "x", {"a":1}]"#).unwrap();
        let texts: Vec<String> = v.as_array().unwrap().iter().map(json_value_text).collect();
        assert_eq!(
            texts,
            ["1", "-2", "3", "2.5", "true", "", "x", r#"{"a":1}"#]
        );
    }

    #[test]
    fn csv_escape_round_trip() {
        for s in [
            "=1+1", "+86 138", "@SUM(A1)", "-x", "-5", "-", "普通", "'=x", "''+1a", "'plain",
        ] {
            assert_eq!(unescape_csv_text(escape_csv_text(s).into_owned()), s);
        }
        assert_eq!(escape_csv_text("=1+1"), "'=1+1");
        assert_eq!(escape_csv_text("-5"), "-5");
        assert_eq!(unescape_csv_text("=\"0123\"".to_string()), "0123");
    }
}
