//! Identifiers of the subjects of integrity records:
//!
//! * [`Uscc`] — 统一社会信用代码 (GB 32100-2015) of legal persons and other organisations;
//! * [`IdNumber`] — 公民身份号码 (GB 11643-1999) of natural persons; never shown in full;
//! * [`mask_name`] — the public form of a civil servant's name.
//!
//! Every parser here is total: any `&str` (empty, huge, non-ASCII, full-width) yields either a value
//! or a [`DomainError`] with a Chinese message; nothing panics.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Code, DomainError, Result};

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// Maps full-width ASCII variants (`０`-`９`, `Ａ`-`Ｚ`, `ａ`-`ｚ`, `－`, `／`, `．`, `：` …,
/// U+FF01..=U+FF5E) to their ASCII counterparts and the ideographic space U+3000 to `' '`; every
/// other char is returned unchanged. Used by every parser of this crate that reads typed or
/// spreadsheet input.
pub(crate) fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Half-width, trimmed, ASCII-uppercased form of an identifier as typed.
fn normalize_ident(s: &str) -> String {
    let half: String = s.chars().map(half_width).collect();
    half.trim().to_ascii_uppercase()
}

/// At most 40 chars of an (invalid) input, for an error message: import files occasionally put a
/// whole paragraph in an identifier column.
pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 40;
    let mut out: String = s.chars().take(MAX).collect();
    if s.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// 统一社会信用代码
// ---------------------------------------------------------------------------------------------

/// The 31 characters of GB 32100-2015 (no I, O, S, V, Z); a char's value is its index.
const USCC_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1..=17 for the 18th (check) char: 3^i mod 31.
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Weights of the 8 body chars of an organisation code (GB 11714-1997).
const ORG_CODE_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Registration authority codes (position 1) of GB 32100-2015, table 1.
const REGISTRATION_AUTHORITIES: [(char, &str); 12] = [
    ('1', "机构编制"),
    ('2', "外交"),
    ('3', "司法行政"),
    ('4', "文化"),
    ('5', "民政"),
    ('6', "旅游"),
    ('7', "宗教"),
    ('8', "工会"),
    ('9', "工商"),
    ('A', "中央军委改革和编制办公室"),
    ('N', "农业"),
    ('Y', "其他"),
];

/// First two digits of a registration authority's administrative division code (GB/T 2260
/// provinces, plus `10` used for national-level registrations such as `100000`).
const PROVINCE_PREFIXES: [&str; 35] = [
    "10", "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82",
];

fn uscc_value(c: char) -> Option<u32> {
    if c.is_ascii() {
        USCC_CHARSET.find(c).map(|i| i as u32)
    } else {
        None
    }
}

/// GB 11714 value of an organisation-code body char: `0`-`9` → 0-9, `A`-`Z` → 10-35.
fn org_code_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        'A'..='Z' => Some(c as u32 - 'A' as u32 + 10),
        _ => None,
    }
}

/// 统一社会信用代码 (GB 32100-2015), 18 chars:
///
/// | position | content                                               |
/// |----------|-------------------------------------------------------|
/// | 1        | registration authority (1-9, A, N, Y)                 |
/// | 2        | organisation type (any char of the charset)           |
/// | 3-8      | administrative division of the registration authority |
/// | 9-17     | organisation code (GB 11714: 8 body chars + check)    |
/// | 18       | check char over positions 1-17 (mod 31)               |
///
/// Stored normalised (ASCII, uppercase). `check_overridden` is true only for codes accepted by
/// [`Uscc::parse_overriding_check`] although a check char is wrong.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Uscc {
    code: String,
    check_overridden: bool,
}

impl Uscc {
    /// Strict parse: every rule of GB 32100 including both check chars. The input is trimmed,
    /// uppercased and full-width letters/digits are converted to ASCII.
    pub fn parse(s: &str) -> Result<Uscc> {
        Self::parse_inner(s, false)
    }

    /// Parse for the credit office's audited override of real (mostly pre-2016) codes whose check
    /// chars do not verify: every rule except the organisation-code check char (position 17) and
    /// the code's check char (position 18) must hold. The result reports
    /// [`check_overridden`](Uscc::check_overridden) `== true` iff one of them was wrong.
    pub fn parse_overriding_check(s: &str) -> Result<Uscc> {
        Self::parse_inner(s, true)
    }

    fn parse_inner(s: &str, allow_bad_check: bool) -> Result<Uscc> {
        let code = normalize_ident(s);
        if code.is_empty() {
            return Err(DomainError::new(Code::Required, "统一社会信用代码为空"));
        }
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != 18 {
            return Err(DomainError::new(
                Code::UsccLength,
                format!(
                    "统一社会信用代码应为18位，实为{}位：{}",
                    chars.len(),
                    excerpt(&code)
                ),
            ));
        }
        for (i, &c) in chars.iter().enumerate() {
            if uscc_value(c).is_none() {
                return Err(DomainError::new(
                    Code::UsccCharset,
                    format!(
                        "统一社会信用代码第{}位字符“{}”无效（只能是数字和除 I、O、S、V、Z 以外的大写字母）：{}",
                        i + 1,
                        c,
                        code
                    ),
                ));
            }
        }
        let authority = chars[0];
        if !REGISTRATION_AUTHORITIES
            .iter()
            .any(|&(a, _)| a == authority)
        {
            return Err(DomainError::new(
                Code::UsccRegistrationAuthority,
                format!(
                    "统一社会信用代码第1位登记管理部门代码“{authority}”无效，应为 1-9、A、N、Y 之一：{code}"
                ),
            ));
        }
        let division: String = chars[2..8].iter().collect();
        if !division.chars().all(|c| c.is_ascii_digit())
            || !PROVINCE_PREFIXES.iter().any(|p| division.starts_with(p))
        {
            return Err(DomainError::new(
                Code::UsccDivision,
                format!(
                    "统一社会信用代码第3-8位登记管理机关行政区划码“{division}”无效，应为6位数字的行政区划代码：{code}"
                ),
            ));
        }

        let mut overridden = false;
        let body: String = chars[8..16].iter().collect();
        let expected_org = Self::org_code_check_char(&body);
        if expected_org != Some(chars[16]) {
            if !allow_bad_check {
                let org: String = chars[8..17].iter().collect();
                let expected = expected_org.map_or_else(|| "?".to_string(), String::from);
                return Err(DomainError::new(
                    Code::UsccOrgCodeCheckDigit,
                    format!(
                        "统一社会信用代码第9-17位组织机构代码“{org}”校验位错误：应为 {expected}，实为 {}（请先核对第9-16位是否录入有误）：{code}",
                        chars[16]
                    ),
                ));
            }
            overridden = true;
        }
        let first17: String = chars[..17].iter().collect();
        let expected = Self::compute_check_char(&first17);
        if expected != Some(chars[17]) {
            if !allow_bad_check {
                let expected = expected.map_or_else(|| "?".to_string(), String::from);
                return Err(DomainError::new(
                    Code::UsccCheckDigit,
                    format!(
                        "统一社会信用代码校验位错误：应为 {expected}，实为 {}（请先核对前17位是否录入有误）：{code}",
                        chars[17]
                    ),
                ));
            }
            overridden = true;
        }
        Ok(Uscc {
            code,
            check_overridden: overridden,
        })
    }

    /// Check char (position 18) of the first 17 chars of a code, or `None` unless `first17` is
    /// exactly 17 chars of the GB 32100 charset (lowercase letters are accepted).
    pub fn compute_check_char(first17: &str) -> Option<char> {
        let mut sum = 0u32;
        let mut n = 0usize;
        for c in first17.chars() {
            let w = *USCC_WEIGHTS.get(n)?;
            sum += uscc_value(c.to_ascii_uppercase())? * w;
            n += 1;
        }
        if n != 17 {
            return None;
        }
        let check = (31 - sum % 31) % 31;
        USCC_CHARSET.chars().nth(check as usize)
    }

    /// Check char of an organisation code (GB 11714) from its 8 body chars (digits or letters,
    /// lowercase accepted): `11 - (Σ value·weight mod 11)`, with 10 → `X` and 11 → `0`. `None`
    /// unless `body8` is exactly 8 ASCII alphanumerics.
    pub fn org_code_check_char(body8: &str) -> Option<char> {
        let mut sum = 0u32;
        let mut n = 0usize;
        for c in body8.chars() {
            let w = *ORG_CODE_WEIGHTS.get(n)?;
            sum += org_code_value(c.to_ascii_uppercase())? * w;
            n += 1;
        }
        if n != 8 {
            return None;
        }
        match 11 - sum % 11 {
            10 => Some('X'),
            11 => Some('0'),
            d => char::from_digit(d, 10),
        }
    }

    /// Builds a valid code from its parts, computing both check chars (for demo and synthetic
    /// data). `division` is the 6-digit division code, `org_body8` the 8 body chars of the
    /// organisation code (from the GB 32100 charset). Fails like [`Uscc::parse`] on invalid parts.
    pub fn from_parts(
        authority: char,
        org_type: char,
        division: &str,
        org_body8: &str,
    ) -> Result<Uscc> {
        let authority = half_width(authority).to_ascii_uppercase();
        let org_type = half_width(org_type).to_ascii_uppercase();
        let division = normalize_ident(division);
        let body = normalize_ident(org_body8);
        if division.chars().count() != 6 || !division.chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::new(
                Code::UsccDivision,
                format!("行政区划码应为6位数字，实为“{}”", excerpt(&division)),
            ));
        }
        let Some(org_check) = Self::org_code_check_char(&body) else {
            return Err(DomainError::new(
                Code::UsccCharset,
                format!(
                    "组织机构代码本体应为8位数字或大写字母，实为“{}”",
                    excerpt(&body)
                ),
            ));
        };
        let mut code = String::with_capacity(18);
        code.push(authority);
        code.push(org_type);
        code.push_str(&division);
        code.push_str(&body);
        code.push(org_check);
        // `None` only if a char is outside the charset: `parse` then names it.
        code.push(Self::compute_check_char(&code).unwrap_or('0'));
        Self::parse(&code)
    }

    /// The normalised 18-char code.
    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// Position 1: registration authority code (1-9, A, N, Y).
    pub fn registration_authority(&self) -> char {
        self.code.chars().next().unwrap_or('?')
    }

    /// Chinese name of the registration authority (e.g. "工商" for `9`).
    pub fn registration_authority_name(&self) -> &'static str {
        let a = self.registration_authority();
        REGISTRATION_AUTHORITIES
            .iter()
            .find(|&&(c, _)| c == a)
            .map_or("其他", |&(_, name)| name)
    }

    /// Position 2: organisation type code.
    pub fn org_type(&self) -> char {
        self.code.chars().nth(1).unwrap_or('?')
    }

    /// Positions 3-8: administrative division code of the registration authority.
    pub fn division(&self) -> &str {
        self.code.get(2..8).unwrap_or("")
    }

    /// Positions 9-17: the organisation code (8 body chars + its check char).
    pub fn org_code(&self) -> &str {
        self.code.get(8..17).unwrap_or("")
    }

    /// True iff the code was accepted by [`Uscc::parse_overriding_check`] with a wrong check char.
    pub fn check_overridden(&self) -> bool {
        self.check_overridden
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

impl FromStr for Uscc {
    type Err = DomainError;

    /// Strict, like [`Uscc::parse`].
    fn from_str(s: &str) -> Result<Uscc> {
        Uscc::parse(s)
    }
}

impl Serialize for Uscc {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.code)
    }
}

impl<'de> Deserialize<'de> for Uscc {
    /// Strict, like [`Uscc::parse`]: an overridden code must be re-read with
    /// [`Uscc::parse_overriding_check`] by code that knows about the override.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Uscc, D::Error> {
        let s = String::deserialize(deserializer)?;
        Uscc::parse(&s).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// 公民身份号码
// ---------------------------------------------------------------------------------------------

/// Weights of positions 1..=17 of a citizen identity number (2^(17-i) mod 11).
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check char by `Σ digit·weight mod 11`.
const ID_CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Years of birth accepted in an identity number.
const ID_BIRTH_YEARS: std::ops::RangeInclusive<i32> = 1900..=2099;

/// The mask of the middle 10 chars (birth date and the first two digits of the sequence).
const ID_MASK: &str = "**********";

/// Masked form of any 18-char string; a shorter or non-ASCII string is masked entirely.
fn mask_id(s: &str) -> String {
    match (s.get(..4), s.get(14..)) {
        (Some(head), Some(tail)) if s.len() == 18 && s.is_ascii() => {
            format!("{head}{ID_MASK}{tail}")
        }
        _ => "*".repeat(s.chars().count().min(18)),
    }
}

/// 公民身份号码 (GB 11643-1999): 6-digit address code, birth date `YYYYMMDD`, 3-digit sequence
/// and a check char (digit or `X`).
///
/// Personal data: `Debug` and `Display` print only the [masked](IdNumber::masked) form, error
/// messages never contain the full number, and there is deliberately no `Serialize`; the full
/// number ([`as_str`](IdNumber::as_str)) is for encryption at rest only.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber {
    number: String,
    birth: NaiveDate,
}

impl IdNumber {
    /// Strict parse. The input is trimmed, full-width digits are converted and a lowercase `x`
    /// check char is normalised to `X`. Old 15-digit numbers are rejected.
    pub fn parse(s: &str) -> Result<IdNumber> {
        let number = normalize_ident(s);
        if number.is_empty() {
            return Err(DomainError::new(Code::Required, "公民身份号码为空"));
        }
        let chars: Vec<char> = number.chars().collect();
        if chars.len() != 18 {
            let msg = if chars.len() == 15 && chars.iter().all(|c| c.is_ascii_digit()) {
                "公民身份号码应为18位，实为15位：旧15位号码请换算为18位".to_string()
            } else {
                format!("公民身份号码应为18位，实为{}位", chars.len())
            };
            return Err(DomainError::new(Code::IdNumberLength, msg));
        }
        let masked = mask_id(&number);
        for (i, &c) in chars.iter().enumerate() {
            let ok = c.is_ascii_digit() || (i == 17 && c == 'X');
            if !ok {
                let expected = if i == 17 { "数字或 X" } else { "数字" };
                return Err(DomainError::new(
                    Code::IdNumberCharset,
                    format!(
                        "公民身份号码 {masked} 第{}位字符“{c}”无效，应为{expected}",
                        i + 1
                    ),
                ));
            }
        }
        if !('1'..='8').contains(&chars[0]) {
            return Err(DomainError::new(
                Code::IdNumberCharset,
                format!(
                    "公民身份号码 {masked} 第1位（地址码首位）应为1-8，实为“{}”",
                    chars[0]
                ),
            ));
        }
        let digits = |from: usize, to: usize| -> u32 {
            chars[from..to]
                .iter()
                .fold(0, |acc, c| acc * 10 + c.to_digit(10).unwrap_or(0))
        };
        let year = digits(6, 10) as i32;
        let birth = NaiveDate::from_ymd_opt(year, digits(10, 12), digits(12, 14))
            .filter(|d| ID_BIRTH_YEARS.contains(&d.year()));
        let Some(birth) = birth else {
            // The birth date itself lies in the masked part: do not print it.
            return Err(DomainError::new(
                Code::IdNumberBirthDate,
                format!(
                    "公民身份号码 {masked} 第7-14位出生日期无效（不是真实日期或年份不在1900-2099之间）"
                ),
            ));
        };
        let first17: String = chars[..17].iter().collect();
        let expected = Self::compute_check_char(&first17);
        if expected != Some(chars[17]) {
            let expected = expected.map_or_else(|| "?".to_string(), String::from);
            return Err(DomainError::new(
                Code::IdNumberCheckDigit,
                format!(
                    "公民身份号码 {masked} 校验位错误：应为 {expected}，实为 {}（请先核对前17位是否录入有误）",
                    chars[17]
                ),
            ));
        }
        Ok(IdNumber { number, birth })
    }

    /// Check char of the first 17 digits, or `None` unless `first17` is exactly 17 ASCII digits.
    pub fn compute_check_char(first17: &str) -> Option<char> {
        let mut sum = 0u32;
        let mut n = 0usize;
        for c in first17.chars() {
            let w = *ID_WEIGHTS.get(n)?;
            sum += c.to_digit(10)? * w;
            n += 1;
        }
        if n != 17 {
            return None;
        }
        ID_CHECK_CHARS.get((sum % 11) as usize).copied()
    }

    /// Builds a valid number from a 6-digit address code, a birth date and a sequence number
    /// (0-999), computing the check char (for demo and synthetic data).
    pub fn from_parts(area6: &str, birth: NaiveDate, seq: u16) -> Result<IdNumber> {
        let area = normalize_ident(area6);
        if area.chars().count() != 6
            || !area.chars().all(|c| c.is_ascii_digit())
            || !area.starts_with(['1', '2', '3', '4', '5', '6', '7', '8'])
        {
            return Err(DomainError::new(
                Code::IdNumberCharset,
                format!("地址码应为首位1-8的6位数字，实为“{}”", excerpt(&area)),
            ));
        }
        if !ID_BIRTH_YEARS.contains(&birth.year()) {
            return Err(DomainError::new(
                Code::IdNumberBirthDate,
                format!(
                    "出生日期 {} 的年份不在1900-2099之间",
                    birth.format("%Y-%m-%d")
                ),
            ));
        }
        if seq > 999 {
            return Err(DomainError::new(
                Code::IdNumberCharset,
                format!("顺序码应在0-999之间，实为{seq}"),
            ));
        }
        let first17 = format!("{area}{}{seq:03}", birth.format("%Y%m%d"));
        let check = Self::compute_check_char(&first17).unwrap_or('?');
        Self::parse(&format!("{first17}{check}"))
    }

    /// The full number. For encryption at rest (and matching) only: never display or log it.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// First 4 + `**********` + last 4, e.g. `1201**********123X`.
    pub fn masked(&self) -> String {
        mask_id(&self.number)
    }

    /// The birth date (positions 7-14).
    pub fn birth_date(&self) -> NaiveDate {
        self.birth
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IdNumber").field(&self.masked()).finish()
    }
}

impl fmt::Display for IdNumber {
    /// The masked form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl FromStr for IdNumber {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<IdNumber> {
        IdNumber::parse(s)
    }
}

impl<'de> Deserialize<'de> for IdNumber {
    /// Strict, like [`IdNumber::parse`] (input forms); there is no `Serialize`.
    fn deserialize<D: Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<IdNumber, D::Error> {
        let s = String::deserialize(deserializer)?;
        IdNumber::parse(&s).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/// Compound surnames kept whole by [`mask_name`] (when the name has at least 3 chars).
const COMPOUND_SURNAMES: [&str; 14] = [
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "令狐",
];

/// Public form of a civil servant's name: the surname followed by a single `*` for the rest of
/// the name, however long: "张三" → "张*", "张三丰" → "张*", "欧阳明月" → "欧阳*" (compound
/// surnames are kept when the name has at least 3 chars, "欧阳" alone → "欧*"). A one-char name
/// becomes "*", an empty (or blank) name "".
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_string(),
        n => {
            let first_two: String = chars[..2].iter().collect();
            let keep = if n >= 3 && COMPOUND_SURNAMES.contains(&first_two.as_str()) {
                2
            } else {
                1
            };
            let mut out: String = chars[..keep].iter().collect();
            out.push('*');
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    // --- USCC ---------------------------------------------------------------------------------

    /// A code constructed here and verified by hand, independently of the implementation:
    ///
    /// authority `9` (工商), type `1` (企业), division `110108` (北京市海淀区), organisation-code
    /// body `MA001234`.
    ///
    /// Organisation code (GB 11714, letter values A=10 … M=22, weights 3 7 9 10 5 8 4 2):
    /// M·3 + A·7 + 0·9 + 0·10 + 1·5 + 2·8 + 3·4 + 4·2 = 66 + 70 + 0 + 0 + 5 + 16 + 12 + 8 = 177;
    /// 177 mod 11 = 1; 11 − 1 = 10 → `X`. Organisation code `MA001234X`.
    ///
    /// Check char (GB 32100 charset values, where M = 21 and X = 29 because I, O, S, V are skipped):
    ///
    /// ```text
    /// char    9  1  1  1  0  1  0   8   M   A  0  0  1  2  3   4   X
    /// value   9  1  1  1  0  1  0   8  21  10  0  0  1  2  3   4  29
    /// weight  1  3  9 27 19 26 16  17  20  29 25 13  8 24 10  30  28
    /// product 9  3  9 27  0 26  0 136 420 290  0  0  8 48 30 120 812
    /// ```
    /// Σ = 1938; 1938 mod 31 = 1938 − 31·62 = 16; 31 − 16 = 15 → charset[15] = `F`.
    const HAND_USCC: &str = "91110108MA001234XF";

    #[test]
    fn hand_computed_code_parses_strictly() {
        let u = Uscc::parse(HAND_USCC).unwrap();
        assert_eq!(u.as_str(), HAND_USCC);
        assert_eq!(u.division(), "110108");
        assert_eq!(u.org_code(), "MA001234X");
        assert_eq!(u.registration_authority(), '9');
        assert_eq!(u.registration_authority_name(), "工商");
        assert_eq!(u.org_type(), '1');
        assert!(!u.check_overridden());
        assert_eq!(Uscc::org_code_check_char("MA001234"), Some('X'));
        assert_eq!(Uscc::compute_check_char("91110108MA001234X"), Some('F'));
        assert_eq!(Uscc::from_parts('9', '1', "110108", "MA001234").unwrap(), u);
        assert_eq!(u.to_string(), HAND_USCC);
        assert_eq!(HAND_USCC.parse::<Uscc>().unwrap(), u);
    }

    #[test]
    fn org_code_check_char_edge_values() {
        // 8 zeros: Σ = 0 → 11 − 0 = 11 → '0'.
        assert_eq!(Uscc::org_code_check_char("00000000"), Some('0'));
        // "00000001": Σ = 2 → 9.
        assert_eq!(Uscc::org_code_check_char("00000001"), Some('9'));
        // "10000000": Σ = 3 → 8.
        assert_eq!(Uscc::org_code_check_char("10000000"), Some('8'));
        // Lowercase accepted; wrong length or non-alphanumeric rejected.
        assert_eq!(Uscc::org_code_check_char("ma001234"), Some('X'));
        assert_eq!(Uscc::org_code_check_char("MA00123"), None);
        assert_eq!(Uscc::org_code_check_char("MA0012345"), None);
        assert_eq!(Uscc::org_code_check_char("MA00-234"), None);
        assert_eq!(Uscc::org_code_check_char("MA00１234"), None);
    }

    #[test]
    fn compute_check_char_rejects_bad_input() {
        assert_eq!(Uscc::compute_check_char("9111010800000000"), None); // 16
        assert_eq!(Uscc::compute_check_char("911101080000000000"), None); // 18
        assert_eq!(Uscc::compute_check_char("9111010800000000I"), None); // I not in charset
        assert_eq!(Uscc::compute_check_char("9111010800000000中"), None);
        // All zeros: Σ = 0 → 31 → '0'.
        assert_eq!(Uscc::compute_check_char("00000000000000000"), Some('0'));
    }

    #[test]
    fn generated_codes_parse() {
        for (a, t, div, body) in [
            ('1', '1', "100000", "00001234"),
            ('5', '3', "440300", "MJL00001"),
            ('9', '2', "650102", "L1234567"),
            ('A', '1', "110000", "12345678"),
            ('N', '2', "370100", "MA3C0D1E"),
            ('Y', '1', "820000", "YYYYYYYY"),
        ] {
            let u = Uscc::from_parts(a, t, div, body).unwrap();
            assert_eq!(Uscc::parse(u.as_str()).unwrap(), u);
            assert_eq!(u.division(), div);
            assert_eq!(&u.org_code()[..8], body);
        }
    }

    #[test]
    fn normalisation() {
        let u = Uscc::parse("  91110108ma001234xf\t").unwrap();
        assert_eq!(u.as_str(), HAND_USCC);
        let u = Uscc::parse("\u{3000}９１１１０１０８ＭＡ００１２３４ｘＦ").unwrap();
        assert_eq!(u.as_str(), HAND_USCC);
    }

    #[test]
    fn uscc_errors() {
        let e = Uscc::parse("").unwrap_err();
        assert_eq!(e.code, Code::Required);
        let e = Uscc::parse("9111010").unwrap_err();
        assert_eq!(e.code, Code::UsccLength);
        assert!(e.message.contains("实为7位"), "{e}");
        let e = Uscc::parse("91110108MA001234XF0").unwrap_err();
        assert_eq!(e.code, Code::UsccLength);

        let e = Uscc::parse("91110108MA00I234XF").unwrap_err();
        assert_eq!(e.code, Code::UsccCharset);
        assert!(e.message.contains("第13位字符“I”"), "{e}");
        let e = Uscc::parse("91110108MA00中234XF").unwrap_err();
        assert_eq!(e.code, Code::UsccCharset);
        assert!(e.message.contains("第13位字符“中”"), "{e}");

        let e = Uscc::parse("B1110108MA001234XF").unwrap_err();
        assert_eq!(e.code, Code::UsccRegistrationAuthority);
        assert!(e.message.contains("“B”"), "{e}");
        let e = Uscc::parse("01110108MA001234XF").unwrap_err();
        assert_eq!(e.code, Code::UsccRegistrationAuthority);

        let e = Uscc::parse("9111A108MA001234XF").unwrap_err();
        assert_eq!(e.code, Code::UsccDivision);
        assert!(e.message.contains("“11A108”"), "{e}");
        let e = Uscc::parse("91990108MA001234XF").unwrap_err();
        assert_eq!(e.code, Code::UsccDivision);

        // Wrong organisation-code check char (position 17).
        let e = Uscc::parse("91110108MA0012349F").unwrap_err();
        assert_eq!(e.code, Code::UsccOrgCodeCheckDigit);
        assert!(e.message.contains("应为 X，实为 9"), "{e}");

        // Wrong code check char (position 18).
        let e = Uscc::parse("91110108MA001234X0").unwrap_err();
        assert_eq!(e.code, Code::UsccCheckDigit);
        assert!(
            e.message
                .starts_with("统一社会信用代码校验位错误：应为 F，实为 0"),
            "{e}"
        );
    }

    #[test]
    fn override_accepts_bad_check_chars_only() {
        let u = Uscc::parse_overriding_check(HAND_USCC).unwrap();
        assert!(!u.check_overridden());

        let u = Uscc::parse_overriding_check("91110108MA001234X0").unwrap();
        assert!(u.check_overridden());
        assert_eq!(u.as_str(), "91110108MA001234X0");

        let u = Uscc::parse_overriding_check("91110108MA0012349F").unwrap();
        assert!(u.check_overridden());

        // A valid position-18 char over a wrong organisation code is still overridden.
        let first17 = "91110108MA0012349";
        let c = Uscc::compute_check_char(first17).unwrap();
        let code = format!("{first17}{c}");
        assert_eq!(
            Uscc::parse(&code).unwrap_err().code,
            Code::UsccOrgCodeCheckDigit
        );
        assert!(
            Uscc::parse_overriding_check(&code)
                .unwrap()
                .check_overridden()
        );

        // Every other rule still holds.
        for (bad, code) in [
            ("91110108MA001234X", Code::UsccLength),
            ("91110108MA00I234XF", Code::UsccCharset),
            ("B1110108MA001234XF", Code::UsccRegistrationAuthority),
            ("91990108MA001234XF", Code::UsccDivision),
        ] {
            assert_eq!(
                Uscc::parse_overriding_check(bad).unwrap_err().code,
                code,
                "{bad}"
            );
        }
    }

    #[test]
    fn from_parts_errors() {
        assert_eq!(
            Uscc::from_parts('9', '1', "11010", "MA001234")
                .unwrap_err()
                .code,
            Code::UsccDivision
        );
        assert_eq!(
            Uscc::from_parts('9', '1', "110108", "MA00123")
                .unwrap_err()
                .code,
            Code::UsccCharset
        );
        assert_eq!(
            Uscc::from_parts('9', '1', "110108", "MA00I234")
                .unwrap_err()
                .code,
            Code::UsccCharset
        );
        assert_eq!(
            Uscc::from_parts('9', 'O', "110108", "MA001234")
                .unwrap_err()
                .code,
            Code::UsccCharset
        );
        assert_eq!(
            Uscc::from_parts('B', '1', "110108", "MA001234")
                .unwrap_err()
                .code,
            Code::UsccRegistrationAuthority
        );
    }

    #[test]
    fn uscc_serde_is_a_strict_string() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as DeError, StrDeserializer};

        let de: StrDeserializer<'_, DeError> = HAND_USCC.into_deserializer();
        assert_eq!(Uscc::deserialize(de).unwrap().as_str(), HAND_USCC);
        let de: StrDeserializer<'_, DeError> = "91110108MA001234X0".into_deserializer();
        let e = Uscc::deserialize(de).unwrap_err();
        assert!(e.to_string().contains("校验位错误"), "{e}");
    }

    // --- IdNumber -----------------------------------------------------------------------------

    /// The example of GB 11643-1999 itself (not a real person), verified by hand:
    ///
    /// ```text
    /// digit   1 1  0 1 0 5 1 9 4 9 1 2  3 1 0 0 2
    /// weight  7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
    /// product 7 9  0 5 0 20 2 9 24 27 7 18 30 5 0 0 4
    /// ```
    /// Σ = 167; 167 mod 11 = 2 → `X`.
    const STANDARD_ID: &str = "11010519491231002X";

    /// Constructed here: 110105 1949-10-01 seq 123. Products 7 9 0 5 0 20 2 9 24 27 7 0 0 5 8 8 6,
    /// Σ = 137; 137 mod 11 = 5 → `7`.
    const HAND_ID: &str = "110105194910011237";

    #[test]
    fn id_number_valid() {
        let id = IdNumber::parse(STANDARD_ID).unwrap();
        assert_eq!(id.as_str(), STANDARD_ID);
        assert_eq!(id.birth_date(), date(1949, 12, 31));
        assert_eq!(id.masked(), "1101**********002X");
        assert_eq!(IdNumber::compute_check_char("11010519491231002"), Some('X'));

        let id = IdNumber::parse(HAND_ID).unwrap();
        assert_eq!(id.birth_date(), date(1949, 10, 1));
        assert_eq!(
            IdNumber::from_parts("110105", date(1949, 10, 1), 123).unwrap(),
            id
        );

        // Lowercase x, full-width digits and surrounding blanks.
        let id = IdNumber::parse(" 11010519491231002x ").unwrap();
        assert_eq!(id.as_str(), STANDARD_ID);
        let id = IdNumber::parse("１１０１０５１９４９１２３１００２Ｘ").unwrap();
        assert_eq!(id.as_str(), STANDARD_ID);
    }

    #[test]
    fn id_number_from_parts() {
        for (area, birth, seq) in [
            ("120104", date(1985, 3, 7), 0u16),
            ("440305", date(2000, 2, 29), 999),
            ("820000", date(1900, 1, 1), 1),
            ("650102", date(2099, 12, 31), 42),
        ] {
            let id = IdNumber::from_parts(area, birth, seq).unwrap();
            assert_eq!(id.birth_date(), birth);
            assert!(id.as_str().starts_with(area));
            assert_eq!(&id.as_str()[14..17], format!("{seq:03}"));
            assert_eq!(IdNumber::parse(id.as_str()).unwrap(), id);
        }
        let e = IdNumber::from_parts("12010", date(1985, 3, 7), 1).unwrap_err();
        assert_eq!(e.code, Code::IdNumberCharset);
        let e = IdNumber::from_parts("920104", date(1985, 3, 7), 1).unwrap_err();
        assert_eq!(e.code, Code::IdNumberCharset);
        let e = IdNumber::from_parts("120104", date(1899, 12, 31), 1).unwrap_err();
        assert_eq!(e.code, Code::IdNumberBirthDate);
        let e = IdNumber::from_parts("120104", date(1985, 3, 7), 1000).unwrap_err();
        assert_eq!(e.code, Code::IdNumberCharset);
    }

    #[test]
    fn id_number_errors_never_show_the_number() {
        let e = IdNumber::parse("").unwrap_err();
        assert_eq!(e.code, Code::Required);

        let e = IdNumber::parse("110105491231002").unwrap_err();
        assert_eq!(e.code, Code::IdNumberLength);
        assert!(e.message.contains("应为18位") && e.message.contains("旧15位号码请换算为18位"));
        assert!(!e.message.contains("491231"), "{e}");

        let e = IdNumber::parse("1101051949123100").unwrap_err();
        assert_eq!(e.code, Code::IdNumberLength);
        assert!(e.message.contains("实为16位"), "{e}");

        let e = IdNumber::parse("1101051949123A002X").unwrap_err();
        assert_eq!(e.code, Code::IdNumberCharset);
        assert!(e.message.contains("第14位字符“A”"), "{e}");
        let e = IdNumber::parse("11010519491231002Y").unwrap_err();
        assert_eq!(e.code, Code::IdNumberCharset);
        let e = IdNumber::parse("01010519491231002X").unwrap_err();
        assert_eq!(e.code, Code::IdNumberCharset);

        // 2024-02-30 does not exist; 1899 is out of range. The date itself is not printed.
        let first17 = "12010120240230123";
        let bad = format!(
            "{first17}{}",
            IdNumber::compute_check_char(first17).unwrap()
        );
        let e = IdNumber::parse(&bad).unwrap_err();
        assert_eq!(e.code, Code::IdNumberBirthDate);
        assert!(!e.message.contains("20240230"), "{e}");
        assert!(e.message.contains(&mask_id(&bad)), "{e}");
        let first17 = "12010118991231123";
        let bad = format!(
            "{first17}{}",
            IdNumber::compute_check_char(first17).unwrap()
        );
        assert_eq!(
            IdNumber::parse(&bad).unwrap_err().code,
            Code::IdNumberBirthDate
        );

        let e = IdNumber::parse("110105194912310021").unwrap_err();
        assert_eq!(e.code, Code::IdNumberCheckDigit);
        assert!(e.message.contains("应为 X，实为 1"), "{e}");
        assert!(e.message.contains("1101**********0021"), "{e}");
        assert!(!e.message.contains("19491231"), "{e}");
    }

    #[test]
    fn id_number_debug_and_display_are_masked() {
        let id = IdNumber::parse(STANDARD_ID).unwrap();
        assert_eq!(format!("{id}"), "1101**********002X");
        assert_eq!(format!("{id:?}"), "IdNumber(\"1101**********002X\")");
        assert!(!format!("{:?}", Some(&id)).contains(STANDARD_ID));
    }

    #[test]
    fn id_number_deserialize() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as DeError, StrDeserializer};

        let de: StrDeserializer<'_, DeError> = STANDARD_ID.into_deserializer();
        assert_eq!(IdNumber::deserialize(de).unwrap().as_str(), STANDARD_ID);
        let de: StrDeserializer<'_, DeError> = "110105194912310021".into_deserializer();
        let e = IdNumber::deserialize(de).unwrap_err().to_string();
        assert!(!e.contains("110105194912310021"), "{e}");
    }

    // --- names --------------------------------------------------------------------------------

    #[test]
    fn names() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("张三丰"), "张*");
        assert_eq!(mask_name("王"), "*");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_name("  "), "");
        assert_eq!(mask_name(" 李四 "), "李*");
        assert_eq!(mask_name("欧阳明月"), "欧阳*");
        assert_eq!(mask_name("欧阳明"), "欧阳*");
        assert_eq!(mask_name("欧阳"), "欧*");
        assert_eq!(mask_name("司马光"), "司马*");
        assert_eq!(mask_name("诸葛孔明"), "诸葛*");
        assert_eq!(mask_name("令狐冲"), "令狐*");
        assert_eq!(mask_name("阿依古丽·买买提"), "阿*");
    }
}
