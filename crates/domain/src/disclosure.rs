//! The disclosure policy (信息公开): one function, [`disclose`], decides for a record and a viewer
//! whether the record is shown and what of it. Every public page and API goes through it, and so
//! does everything else that leaves through the public side (the search index and its snippets,
//! credit reports).
//!
//! - Scope: the public sees `public` records; government departments see `public` and `shared`;
//!   `restricted` records are for the credit office only.
//! - Lifecycle: only `active` records, and `objected` ones (shown as 异议处理中), are disclosed.
//!   Repaired, expired and revoked records leave every disclosed view.
//! - Window: from the decision date to the record's disclosure end, never past the maximum the
//!   category sets for the severity; a category whose maximum is zero months is not disclosed.
//!   Repair ends disclosure early (the record is then `repaired`).
//! - Personal information: a civil servant's name is shown with the given name masked (张*),
//!   wherever it appears: the record's own subject, and every civil servant on the roster whose
//!   name occurs in the record's texts ([`NameMasker`]); an ID number is never shown, and any
//!   ID-number-like run in the texts is blanked, whatever its digits (full-width or not), spacing
//!   and grouping, and also the old 15-digit numbers ([`blank_id_numbers`]).

use aho_corasick::{AhoCorasick, MatchKind};
use chrono::NaiveDate;

use crate::catalog::{DisclosureBounds, RecordKind, Scope, Severity};
use crate::ident::{IdNumber, Uscc};
use crate::record::RecordState;
use crate::subject::SubjectKind;

/// Who is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Viewer {
    /// Anyone, without logging in: the portal and `/api/v1/public/…`.
    Public,
    /// A government department sharing data (政务共享): `public` and `shared` records.
    Government,
}

impl Viewer {
    pub const ALL: [Viewer; 2] = [Viewer::Public, Viewer::Government];

    /// Whether a record of this scope may be shown to this viewer at all.
    pub fn sees(self, scope: Scope) -> bool {
        match self {
            Viewer::Public => scope == Scope::Public,
            Viewer::Government => matches!(scope, Scope::Public | Scope::Shared),
        }
    }
}

/// The subject of a record, as far as disclosure needs it.
#[derive(Debug, Clone, Copy)]
pub struct SubjectFacts<'a> {
    pub kind: SubjectKind,
    pub name: &'a str,
    pub uscc: Option<&'a str>,
    /// A civil servant's unit and position (shown).
    pub unit: Option<&'a str>,
    pub position: Option<&'a str>,
}

/// A record, as far as disclosure needs it. There is deliberately no ID number here.
#[derive(Debug, Clone, Copy)]
pub struct RecordFacts<'a> {
    pub state: RecordState,
    pub scope: Scope,
    pub kind: RecordKind,
    pub severity: Option<Severity>,
    pub decided_on: NaiveDate,
    pub disclosure_until: NaiveDate,
    /// The category's bounds for the record's severity.
    pub bounds: DisclosureBounds,
    pub document_no: &'a str,
    pub authority: &'a str,
    pub facts: &'a str,
    pub basis: Option<&'a str>,
    pub outcome: &'a str,
}

/// What a viewer is shown of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosed {
    pub subject_name: String,
    pub uscc: Option<String>,
    pub unit: Option<String>,
    pub position: Option<String>,
    pub document_no: String,
    pub authority: String,
    pub facts: String,
    pub basis: Option<String>,
    pub outcome: String,
    pub decided_on: NaiveDate,
    /// The day disclosure ends (inclusive).
    pub disclosed_until: NaiveDate,
    /// 异议处理中: an objection is being checked.
    pub objected: bool,
    pub state_label: &'static str,
}

/// Why a record is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withheld {
    /// Its scope does not reach this viewer.
    Scope,
    /// Not (or no longer) in a disclosed state.
    State(RecordState),
    /// The category discloses no record of this severity.
    NotDisclosable,
    /// Its decision date is still to come.
    NotYet,
    /// Its disclosure period ended on this day.
    Ended(NaiveDate),
}

impl Withheld {
    /// Why, in words for the public (e.g. a profile's note on hidden records).
    pub fn reason(self) -> &'static str {
        match self {
            Withheld::Scope => "不在公开范围内",
            Withheld::State(RecordState::Repaired) => "已信用修复，停止公示",
            Withheld::State(RecordState::Expired) => "公示期届满",
            Withheld::State(RecordState::Revoked) => "已撤销",
            Withheld::State(_) => "尚未生效",
            Withheld::NotDisclosable => "按规定不予公示",
            Withheld::NotYet => "尚未到公示日期",
            Withheld::Ended(_) => "公示期届满",
        }
    }
}

/// The last day a record is disclosed: its own end date, but never past the category's maximum
/// for the severity. `None` when the category discloses nothing of this severity.
pub fn disclosure_end(r: &RecordFacts<'_>) -> Option<NaiveDate> {
    if r.bounds.max_months == 0 {
        return None;
    }
    Some(crate::expiry::last_day(
        r.decided_on,
        r.disclosure_until,
        r.bounds,
    ))
}

/// Decides whether `viewer` sees record `r` of `subject` on `today`, and what of it. `names`
/// holds the civil servants on the roster: each of their names found in the record's texts is
/// masked, whoever the record is about.
pub fn disclose(
    r: &RecordFacts<'_>,
    subject: &SubjectFacts<'_>,
    viewer: Viewer,
    today: NaiveDate,
    names: &NameMasker,
) -> Result<Disclosed, Withheld> {
    if !viewer.sees(r.scope) {
        return Err(Withheld::Scope);
    }
    if !matches!(r.state, RecordState::Active | RecordState::Objected) {
        return Err(Withheld::State(r.state));
    }
    let end = disclosure_end(r).ok_or(Withheld::NotDisclosable)?;
    if today < r.decided_on {
        return Err(Withheld::NotYet);
    }
    if today > end {
        return Err(Withheld::Ended(end));
    }
    let person = subject.kind == SubjectKind::CivilServant;
    let masked = if person {
        mask_name(subject.name)
    } else {
        subject.name.to_string()
    };
    let text = |t: &str| {
        let t = public_text(names, t);
        // The record's own subject, even if the roster this masker was built from predates it.
        if person && subject.name.trim().chars().count() >= 2 {
            t.replace(subject.name.trim(), &masked)
        } else {
            t
        }
    };
    Ok(Disclosed {
        subject_name: masked.clone(),
        uscc: subject.uscc.map(str::to_string),
        unit: subject.unit.map(&text),
        position: subject.position.map(&text),
        document_no: text(r.document_no),
        authority: text(r.authority),
        facts: text(r.facts),
        basis: r.basis.map(&text),
        outcome: text(r.outcome),
        decided_on: r.decided_on,
        disclosed_until: end,
        objected: r.state == RecordState::Objected,
        state_label: r.state.label(),
    })
}

/// A free text as the public may read it: every ID-number-like run blanked and every name of
/// `names` masked. What [`disclose`] does to each text of a record, for texts that reach the
/// public by another way (a report signed before, shown again).
pub fn public_text(names: &NameMasker, text: &str) -> String {
    names.mask(&blank_id_numbers(text))
}

/// The civil servants' names on the roster, found in a text all at once (Aho-Corasick,
/// leftmost-longest, so that of 王丽 and 王丽华 the longer wins) and replaced by their masked
/// form (王丽华 → 王*). Built from a list of names, it is a plain value: whoever holds the roster
/// builds a new one when the roster changes. Names of one character are left out: they would mask
/// every occurrence of a common character and protect nobody.
#[derive(Debug, Clone, Default)]
pub struct NameMasker {
    /// Distinct names, trimmed, longest first.
    names: Vec<String>,
    masked: Vec<String>,
    /// `None` when there are no names (or the automaton could not be built: then `mask` falls
    /// back to replacing the names one by one, longest first).
    matcher: Option<AhoCorasick>,
}

impl NameMasker {
    /// A masker of these names (duplicates, blanks and one-character names are dropped).
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> NameMasker {
        let mut names: Vec<String> = names
            .into_iter()
            .map(str::trim)
            .filter(|n| n.chars().count() >= 2)
            .map(str::to_string)
            .collect();
        names.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
        names.dedup();
        let masked = names.iter().map(|n| mask_name(n)).collect();
        let matcher = if names.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&names)
                .ok()
        };
        NameMasker {
            names,
            masked,
            matcher,
        }
    }

    /// How many names it masks.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Whether any of the names occurs in `text`.
    pub fn finds_any(&self, text: &str) -> bool {
        match &self.matcher {
            Some(m) => m.is_match(text),
            None => self.names.iter().any(|n| text.contains(n.as_str())),
        }
    }

    /// `text` with every name in it masked.
    pub fn mask(&self, text: &str) -> String {
        match &self.matcher {
            Some(m) => m.replace_all(text, &self.masked),
            None => self
                .names
                .iter()
                .zip(&self.masked)
                .fold(text.to_string(), |t, (n, m)| t.replace(n.as_str(), m)),
        }
    }
}

/// Chinese compound surnames (复姓) kept whole when a name is masked.
const COMPOUND_SURNAMES: [&str; 24] = [
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "澹台", "公冶", "太史", "申屠", "钟离",
];

/// A person's name with the given name masked: 张三 → 张*, 欧阳修文 → 欧阳*. One `*` whatever the
/// given name's length, so the mask does not tell it.
pub fn mask_name(name: &str) -> String {
    let name = name.trim();
    let chars: Vec<char> = name.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    let surname = COMPOUND_SURNAMES
        .iter()
        .find(|s| name.starts_with(*s) && chars.len() > 2)
        .map_or(1, |s| s.chars().count());
    let mut out: String = chars[..surname.min(chars.len())].iter().collect();
    out.push('*');
    out
}

/// What a blanked ID number reads as.
pub const ID_PLACEHOLDER: &str = "[身份证号已隐去]";

/// Replaces every run that looks like an ID number with [`ID_PLACEHOLDER`]. An ID number is 18
/// characters (17 digits and a digit or X) or, in the old form, 15 digits; its digits may be
/// full-width (１２０…, Ｘ) and written in groups joined by spaces or dashes (120116 19820320 0273,
/// 120116-1982-0320-0273, full-width spaces, middle dots, the hyphen and dash variants), and it
/// may be glued to letters or Chinese (身份证号ID120116…). What decides is the digits:
///
/// - an unbroken run of exactly 18 (17 digits and X): blanked, unless it is a valid USCC and not a
///   valid ID number (a unit's code is public);
/// - an unbroken run of exactly 15 with a possible birth date (YYMMDD) where an old ID number
///   has it: blanked (an old 15-digit business registration number has none there);
/// - consecutive groups joined by separators that together make 18 (or 15) characters with a
///   possible birth date where an ID number has it (YYYYMMDD, 1900-2099, or YYMMDD): blanked,
///   groups, separators and all. The birth date is asked for here because lists of dates, phone
///   numbers and amounts join up too, and they must survive.
///
/// Longer unbroken runs of digits (an account number) are something else and stay; so do dates,
/// document numbers (津滨法〔2024〕123号), USCCs with letters and amounts.
pub fn blank_id_numbers(text: &str) -> String {
    blank_spans(text, ID_PLACEHOLDER, id_spans)
}

/// Adds to its last argument the character ranges of a group of digits (its chunks, in the
/// text's characters) that read as one kind of number.
type SpanFinder = fn(&[char], &[Chunk], &mut Vec<(usize, usize)>);

/// Replaces with `placeholder` the character ranges that `spans_of` finds in each group of
/// digits of `text` (overlapping ranges blanked as one).
fn blank_spans(text: &str, placeholder: &str, spans_of: SpanFinder) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if digit_value(chars[i]).is_none() {
            i += 1;
            continue;
        }
        let group = digit_group(&chars, i);
        i = group.last().map_or(i + 1, |c| c.end.max(i + 1));
        spans_of(&chars, &group, &mut spans);
    }
    if spans.is_empty() {
        return text.to_string();
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in spans {
        if end <= at {
            continue;
        }
        if start >= at {
            out.extend(&chars[at..start]);
            out.push_str(placeholder);
        }
        at = end;
    }
    out.extend(&chars[at..]);
    out
}

/// A free text written inside the platform (a score's reason, a self-assessment, the reason a
/// period was reopened) as every reader but the credit office sees it, and as every file and
/// print made from it: ID numbers and phone numbers blanked, the roster's civil servants masked.
pub fn internal_text(names: &NameMasker, text: &str) -> String {
    names.mask(&blank_phone_numbers(&blank_id_numbers(text)))
}

/// What a blanked phone number reads as.
pub const PHONE_PLACEHOLDER: &str = "[电话号码已隐去]";

/// Replaces every run that reads as a phone number with [`PHONE_PLACEHOLDER`]: a mobile number
/// (11 digits, 13–19 first, an optional 86 or +86 before it) and a landline number with its area
/// code (0 and two or three digits, then seven or eight digits not starting with 0 or 1, the area
/// code set apart or in brackets or not), full-width or not, in groups joined by spaces or dashes
/// as people write them (138 0013 8000, 022-6530 1001, （022）65301001). Digits running on into
/// more digits (an account number), dates, amounts and document numbers stay.
pub fn blank_phone_numbers(text: &str) -> String {
    blank_spans(text, PHONE_PLACEHOLDER, phone_spans)
}

/// Adds to `spans` the character ranges of `group` that read as a phone number: whole chunks,
/// the longest from each start.
fn phone_spans(chars: &[char], group: &[Chunk], spans: &mut Vec<(usize, usize)>) {
    let digits_of = |chunk: &Chunk| -> String {
        chars[chunk.start..chunk.end]
            .iter()
            .filter_map(|c| digit_value(*c).and_then(|d| char::from_digit(d, 10)))
            .collect()
    };
    let mut a = 0;
    while a < group.len() {
        let mut found = None;
        let mut body = String::new();
        for (b, chunk) in group.iter().enumerate().skip(a) {
            body.push_str(&digits_of(chunk));
            if body.len() > 13 {
                break;
            }
            // Joined groups are people's way of writing one number: none of a digit or two,
            // but the country code.
            let short = group[a..=b]
                .iter()
                .enumerate()
                .any(|(k, c)| c.digits() < 3 && !(k == 0 && digits_of(c) == "86"));
            if !short && is_phone(&body, &group[a..=b], &digits_of) {
                found = Some(b);
            }
        }
        match found {
            Some(b) => {
                // A country code written +86 takes its plus along.
                let start = group[a].start;
                let start = if start > 0 && matches!(chars[start - 1], '+' | '＋') {
                    start - 1
                } else {
                    start
                };
                spans.push((start, group[b].end));
                a = b + 1;
            }
            None => a += 1,
        }
    }
    // A landline with its area code in brackets: （022）65301001, (022) 6530 1001.
    let Some(first) = group.first() else { return };
    let local: String = group.iter().map(digits_of).collect();
    if !matches!(local.len(), 7 | 8) || local.starts_with(['0', '1']) {
        return;
    }
    let mut k = first.start;
    while k > 0 && chars[k - 1] == ' ' {
        k -= 1;
    }
    if k == 0 || !matches!(chars[k - 1], ')' | '）') {
        return;
    }
    let close = k - 1;
    let mut open = close;
    while open > 0 && digit_value(chars[open - 1]).is_some() {
        open -= 1;
    }
    let area: String = chars[open..close]
        .iter()
        .filter_map(|c| digit_value(*c).and_then(|d| char::from_digit(d, 10)))
        .collect();
    if open > 0 && matches!(chars[open - 1], '(' | '（') && is_area_code(&area) {
        spans.push((open - 1, group.last().map_or(first.end, |c| c.end)));
    }
}

/// Whether `digits`, written as `chunks`, is a mobile or a landline number.
fn is_phone(digits: &str, chunks: &[Chunk], digits_of: &dyn Fn(&Chunk) -> String) -> bool {
    let mobile =
        |d: &str| d.len() == 11 && d.starts_with('1') && matches!(d.as_bytes()[1], b'3'..=b'9');
    if mobile(digits) || (digits.len() == 13 && digits.starts_with("86") && mobile(&digits[2..])) {
        return true;
    }
    if !digits.starts_with('0') || !(10..=12).contains(&digits.len()) {
        return false;
    }
    let area_len = if matches!(digits.as_bytes().get(1), Some(b'1' | b'2')) {
        3
    } else {
        4
    };
    let local = &digits[area_len..];
    let area_fits = chunks.len() == 1 || digits_of(&chunks[0]).len() == area_len;
    is_area_code(&digits[..area_len])
        && area_fits
        && matches!(local.len(), 7 | 8)
        && !local.starts_with(['0', '1'])
}

/// 010, 02x, or 0 and three digits (not 00…).
fn is_area_code(d: &str) -> bool {
    let b = d.as_bytes();
    match b {
        [b'0', b'1' | b'2', _] => true,
        [b'0', second, _, _] => *second >= b'3',
        _ => false,
    }
}

/// An unbroken run of digits inside a group: `chars[start..end]`, with `x` the position of a
/// check char X after it (right after, or after a few separators), if there is one.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    start: usize,
    end: usize,
    x: Option<usize>,
}

impl Chunk {
    fn digits(&self) -> usize {
        self.end - self.start
    }
}

/// The most separator characters between two groups of digits of one number.
const MAX_SEPARATOR_RUN: usize = 3;

/// The digit 0-9 of an ASCII or full-width digit.
fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

fn is_check_x(c: char) -> bool {
    matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ')
}

/// What people put between the groups of a number: spaces (any but a line break), dashes and
/// hyphens of every kind, middle dots.
fn is_separator(c: char) -> bool {
    (c.is_whitespace() && c != '\n' && c != '\r')
        || matches!(
            c,
            '-' | '\u{2010}'
                ..='\u{2015}'
                    | '\u{2212}'
                    | '\u{FE58}'
                    | '\u{FE63}'
                    | '\u{FF0D}'
                    | '_'
                    | '·'
                    | '\u{2022}'
                    | '\u{2027}'
                    | '\u{30FB}'
                    | '\u{FF65}'
        )
}

/// The digit groups starting at `chars[start]` (a digit), joined by short runs of separators.
/// A check char X ends the group.
fn digit_group(chars: &[char], start: usize) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut i = start;
    loop {
        let s = i;
        while i < chars.len() && digit_value(chars[i]).is_some() {
            i += 1;
        }
        let mut j = i;
        while j < chars.len() && j - i < MAX_SEPARATOR_RUN && is_separator(chars[j]) {
            j += 1;
        }
        // The check char, right after the digits or set apart like a group of its own.
        let x = (j < chars.len() && is_check_x(chars[j])).then_some(j);
        chunks.push(Chunk {
            start: s,
            end: i,
            x,
        });
        if x.is_some() {
            break;
        }
        if j > i && j < chars.len() && digit_value(chars[j]).is_some() {
            i = j;
        } else {
            break;
        }
    }
    chunks
}

/// Adds to `spans` the character ranges of `group` that read as an ID number.
fn id_spans(chars: &[char], group: &[Chunk], spans: &mut Vec<(usize, usize)>) {
    for a in 0..group.len() {
        let mut digits = 0;
        for (b, chunk) in group.iter().enumerate().skip(a) {
            digits += chunk.digits();
            if digits > 18 {
                break;
            }
            let joined = b > a;
            let body = || -> String {
                group[a..=b]
                    .iter()
                    .flat_map(|c| chars[c.start..c.end].iter())
                    .filter_map(|c| digit_value(*c).and_then(|d| char::from_digit(d, 10)))
                    .collect()
            };
            let end = if digits == 18 || (digits == 17 && chunk.x.is_some()) {
                let mut id = body();
                if digits == 17 {
                    id.push('X');
                }
                let public_code = Uscc::parse(&id).is_ok() && IdNumber::parse(&id).is_err();
                let reads_as_id = !joined || birth_date_at(&id, 6, true);
                let end = match chunk.x {
                    Some(x) if digits == 17 => x + 1,
                    _ => chunk.end,
                };
                (reads_as_id && !public_code).then_some(end)
            } else if digits == 15 {
                birth_date_at(&body(), 6, false).then_some(chunk.end)
            } else {
                None
            };
            if let Some(end) = end {
                spans.push((group[a].start, end));
            }
        }
    }
}

/// Whether `digits` holds a possible birth date at `at`: YYYYMMDD (1900-2099) when `long`,
/// else YYMMDD.
fn birth_date_at(digits: &str, at: usize, long: bool) -> bool {
    let n = |from: usize, len: usize| -> Option<u32> { digits.get(from..from + len)?.parse().ok() };
    let (year_ok, month_at) = if long {
        (n(at, 4).is_some_and(|y| (1900..=2099).contains(&y)), at + 4)
    } else {
        (n(at, 2).is_some(), at + 2)
    };
    year_ok
        && n(month_at, 2).is_some_and(|m| (1..=12).contains(&m))
        && n(month_at + 2, 2).is_some_and(|d| (1..=31).contains(&d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_after_the_surname() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("王小明"), "王*");
        assert_eq!(mask_name("欧阳修文"), "欧阳*");
        assert_eq!(
            mask_name("欧阳"),
            "欧*",
            "two characters: a surname and a given name"
        );
        assert_eq!(mask_name(" 李四 "), "李*");
        assert_eq!(mask_name("李"), "李*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn id_numbers_in_text_are_blanked() {
        assert_eq!(
            blank_id_numbers("当事人身份证号12010119800101123X，已处理"),
            "当事人身份证号[身份证号已隐去]，已处理"
        );
        assert_eq!(blank_id_numbers("120101198001011234"), "[身份证号已隐去]");
        // Longer runs are something else (an account number, say) and are left alone.
        assert_eq!(
            blank_id_numbers("账号1201011980010112345"),
            "账号1201011980010112345"
        );
        assert_eq!(blank_id_numbers("津滨财〔2025〕11号"), "津滨财〔2025〕11号");
    }

    #[test]
    fn id_numbers_in_every_form_are_blanked() {
        let p = ID_PLACEHOLDER;
        for (text, want) in [
            ("ID120116198203200273", format!("ID{p}")),
            (
                "身份证号１２０１１６１９８２０３２００２７３。",
                format!("身份证号{p}。"),
            ),
            ("证号 120116 19820320 0273，", format!("证号 {p}，")),
            ("120116-1982-0320-027X号", format!("{p}号")),
            ("12011619820320027ｘ", p.to_string()),
            ("１２０１１６　１９８２０３２０　０２７３", p.to_string()),
            ("120116·19820320·0273", p.to_string()),
            ("120116 – 19820320 — 0273", p.to_string()),
            ("旧证120116820320027", format!("旧证{p}")),
            ("120116 820320 027", p.to_string()),
            (
                "2024-01-05 120116 19820320 0273 已处理",
                format!("2024-01-05 {p} 已处理"),
            ),
            ("120116198203200273ABC", format!("{p}ABC")),
        ] {
            assert_eq!(blank_id_numbers(text), want, "{text}");
        }
    }

    #[test]
    fn what_is_not_an_id_number_stays() {
        for text in [
            "2024-01-05",
            "2024年1月5日至2025年1月4日",
            "津滨法〔2024〕123号",
            "91120116MA05TEST0X",
            "合同金额1,234,567.89元，逾期利息 12 345 元",
            "1 000 000 000 000 000 元",
            "电话022-12345678，手机138 0013 8000",
            // An old 15-digit business registration number: no birth date in it.
            "注册号120116000012345",
            "2024-01-05 2024-02-05 2024-03-05 2024-04-05",
            "120116********0273",
        ] {
            assert_eq!(blank_id_numbers(text), text);
        }
        // A unit's USCC of digits only, valid as such and not as an ID number, is public.
        let uscc = (0..100_000u32)
            .map(|n| format!("1112011620{n:06}"))
            .find_map(|first16| {
                let org = Uscc::org_code_check_char(&first16[8..16])?;
                let first17 = format!("{first16}{org}");
                let check = Uscc::compute_check_char(&first17)?;
                let code = format!("{first17}{check}");
                (code.chars().all(|c| c.is_ascii_digit())
                    && Uscc::parse(&code).is_ok()
                    && IdNumber::parse(&code).is_err())
                .then_some(code)
            })
            .unwrap();
        assert_eq!(blank_id_numbers(&uscc), uscc);
    }

    #[test]
    fn phone_numbers_in_text_are_blanked() {
        let p = PHONE_PLACEHOLDER;
        for (text, blanked) in [
            ("联系人手机13800138000。", format!("联系人手机{p}。")),
            ("手机 138 0013 8000，", format!("手机 {p}，")),
            ("手机138-0013-8000", format!("手机{p}")),
            ("手机+86 13800138000", format!("手机{p}")),
            ("手机８６１３８００１３８０００", format!("手机{p}")),
            ("电话022-65301001", format!("电话{p}")),
            ("电话 022 6530 1001 转总机", format!("电话 {p} 转总机")),
            ("电话（022）65301001", format!("电话{p}")),
            ("电话(0451) 8765432", format!("电话{p}")),
            ("电话02265301001", format!("电话{p}")),
            ("分机13800138000和13900139000", format!("分机{p}和{p}")),
        ] {
            assert_eq!(blank_phone_numbers(text), blanked, "{text}");
        }
        for text in [
            "2024-01-05 2024-02-05",
            "津滨财〔2026〕41号",
            "金额 1 380 013 800 元",
            "账号6222021380013800012",
            "记录第 12 号，评分 3.5 分",
            "20260310",
            "第1、3、8项",
            "共 138 件，13 家单位",
        ] {
            assert_eq!(blank_phone_numbers(text), text);
        }
        // ID numbers and phone numbers blanked, names masked: what every reader but the credit
        // office reads of a text written inside the platform.
        let names = NameMasker::new(["金超文"]);
        assert_eq!(
            internal_text(
                &names,
                "经办人金超文，身份证号120116198203200273，电话13800138000"
            ),
            format!("经办人金*，身份证号{ID_PLACEHOLDER}，电话{p}")
        );
    }

    #[test]
    fn roster_names_are_masked_longest_first() {
        let m = NameMasker::new(["王丽", "王丽华", " 金超文 ", "李", "", "王丽"]);
        assert_eq!(
            m.len(),
            3,
            "duplicates, blanks and one-character names are dropped"
        );
        assert_eq!(
            m.mask("经办人金超文与王丽华、王丽会同李某"),
            "经办人金*与王*、王*会同李某"
        );
        assert!(m.finds_any("经办人金超文"));
        assert!(!m.finds_any("经办人金某"));
        assert_eq!(NameMasker::default().mask("金超文"), "金超文");
    }
}
