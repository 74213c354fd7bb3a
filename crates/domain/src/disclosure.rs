//! The disclosure policy (信息公开): one function, [`disclose`], decides for a record and a viewer
//! whether the record is shown and what of it. Every public page and API goes through it.
//!
//! - Scope: the public sees `public` records; government departments see `public` and `shared`;
//!   `restricted` records are for the credit office only.
//! - Lifecycle: only `active` records, and `objected` ones (shown as 异议处理中), are disclosed.
//!   Repaired, expired and revoked records leave every disclosed view.
//! - Window: from the decision date to the record's disclosure end, never past the maximum the
//!   category sets for the severity; a category whose maximum is zero months is not disclosed.
//!   Repair ends disclosure early (the record is then `repaired`).
//! - Personal information: a civil servant's name is shown with the given name masked (张*),
//!   also where the name appears inside the record's texts; an ID number is never shown, and any
//!   ID-number-like run of characters in the texts is blanked.

use chrono::NaiveDate;

use crate::catalog::{DisclosureBounds, RecordKind, Scope, Severity};
use crate::date::add_months;
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
    let ceiling = add_months(r.decided_on, r.bounds.max_months);
    Some(r.disclosure_until.min(ceiling))
}

/// Decides whether `viewer` sees record `r` of `subject` on `today`, and what of it.
pub fn disclose(
    r: &RecordFacts<'_>,
    subject: &SubjectFacts<'_>,
    viewer: Viewer,
    today: NaiveDate,
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
        let t = blank_id_numbers(t);
        if person && subject.name.chars().count() >= 2 {
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

/// Replaces every run that looks like an 18-character ID number (17 digits and a digit or X,
/// not part of a longer run of letters and digits) with a placeholder.
pub fn blank_id_numbers(text: &str) -> String {
    const PLACEHOLDER: &str = "[身份证号已隐去]";
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts_run = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        if starts_run && let Some(len) = id_run(&chars[i..]) {
            out.push_str(PLACEHOLDER);
            i += len;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The length of an ID-number-like run at the start of `s`: 17 digits, a digit or X, and then no
/// further letter or digit.
fn id_run(s: &[char]) -> Option<usize> {
    if s.len() < 18 {
        return None;
    }
    let body = s[..17].iter().all(char::is_ascii_digit);
    let check = s[17].is_ascii_digit() || s[17] == 'X' || s[17] == 'x';
    let ends = s.get(18).is_none_or(|c| !c.is_ascii_alphanumeric());
    (body && check && ends).then_some(18)
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
}
