//! Property tests of the disclosure policy: no combination of lifecycle state, scope, viewer,
//! severity bounds and dates shows a record it should not, and nothing shown carries a civil
//! servant's full name or an ID number: not the record's own subject's, not any roster civil
//! servant's named in the texts, and no ID number in any form people write one (18 or 15 digits,
//! full-width, grouped with spaces or dashes, glued to letters or Chinese). Text without them
//! passes unchanged: dates, document numbers, USCCs and amounts survive.

use chrono::{Duration, NaiveDate};
use probity_domain::catalog::{DisclosureBounds, RecordKind, Scope, Severity};
use probity_domain::date::add_months;
use probity_domain::disclosure::{
    Disclosed, ID_PLACEHOLDER, NameMasker, RecordFacts, SubjectFacts, Viewer, Withheld,
    blank_id_numbers, disclose, mask_name,
};
use probity_domain::ident::{IdNumber, Uscc};
use probity_domain::record::RecordState;
use probity_domain::subject::SubjectKind;
use proptest::prelude::*;

fn day(offset: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + Duration::days(offset)
}

const SURNAMES: [&str; 6] = ["张", "王", "李", "欧阳", "司马", "赵"];
const GIVEN: [&str; 6] = ["三", "小明", "建国", "修文", "丽", "德华"];

#[derive(Debug, Clone)]
struct Case {
    state: RecordState,
    scope: Scope,
    kind: RecordKind,
    severity: Option<Severity>,
    decided: i64,
    until: i64,
    min_months: u32,
    max_months: u32,
    today: i64,
    viewer: Viewer,
    subject_kind: SubjectKind,
    name: String,
    id_number: String,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            prop::sample::select(RecordState::ALL.to_vec()),
            prop::sample::select(Scope::ALL.to_vec()),
            prop::sample::select(vec![RecordKind::Dishonest, RecordKind::Trustworthy]),
            prop::option::of(prop::sample::select(Severity::ALL.to_vec())),
        ),
        (0i64..2000, -200i64..1500, 0u32..13, 0u32..40, -100i64..3000),
        (
            prop::sample::select(Viewer::ALL.to_vec()),
            prop::sample::select(SubjectKind::ALL.to_vec()),
            prop::sample::select(SURNAMES.to_vec()),
            prop::sample::select(GIVEN.to_vec()),
            0u16..1000,
        ),
    )
        .prop_map(
            |(
                (state, scope, kind, severity),
                (decided, until_delta, min_months, extra, today),
                (viewer, subject_kind, surname, given, seq),
            )| Case {
                state,
                scope,
                kind,
                severity,
                decided,
                until: decided + until_delta,
                min_months,
                max_months: min_months + extra,
                today,
                viewer,
                subject_kind,
                name: format!("{surname}{given}"),
                id_number: IdNumber::from_parts("120116", day(-12_000), seq)
                    .unwrap()
                    .as_str()
                    .to_string(),
            },
        )
}

fn run(c: &Case) -> Result<Disclosed, Withheld> {
    // The provider wrote the person's name and ID number into every text: the worst case.
    let leak = format!("{}（身份证号{}）", c.name, c.id_number);
    let facts = format!("经查，{leak}未按合同约定付款。");
    let basis = format!("依据：{leak}");
    let outcome = format!("对{leak}予以问责");
    let authority = format!("区纪委（经办：{}，复核：{COLLEAGUE}）", c.name);
    let r = RecordFacts {
        state: c.state,
        scope: c.scope,
        kind: c.kind,
        severity: c.severity,
        decided_on: day(c.decided),
        disclosure_until: day(c.until),
        bounds: DisclosureBounds {
            min_months: c.min_months,
            max_months: c.max_months,
        },
        document_no: "津滨纪〔2025〕7号",
        authority: &authority,
        facts: &facts,
        basis: Some(&basis),
        outcome: &outcome,
    };
    let s = SubjectFacts {
        kind: c.subject_kind,
        name: &c.name,
        uscc: (c.subject_kind != SubjectKind::CivilServant).then_some("12120116MB0000001X"),
        unit: Some("区财政局"),
        position: Some("科员"),
    };
    // The roster: the colleague, and the subject when a civil servant.
    let mut roster = vec![COLLEAGUE];
    if c.subject_kind == SubjectKind::CivilServant {
        roster.push(&c.name);
    }
    disclose(&r, &s, c.viewer, day(c.today), &NameMasker::new(roster))
}

/// A civil servant on the roster who is named in a record that is not about him.
const COLLEAGUE: &str = "金超文";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// Shown only when every rule allows it; withheld otherwise, for the first rule that fails.
    #[test]
    fn a_record_is_shown_exactly_when_every_rule_allows(c in case()) {
        let scope_ok = match c.viewer {
            Viewer::Public => c.scope == Scope::Public,
            Viewer::Government => c.scope != Scope::Restricted,
        };
        let state_ok = matches!(c.state, RecordState::Active | RecordState::Objected);
        let end = add_months(day(c.decided), c.max_months).min(day(c.until));
        let window_ok = c.max_months > 0 && day(c.today) >= day(c.decided) && day(c.today) <= end;
        let result = run(&c);
        prop_assert_eq!(result.is_ok(), scope_ok && state_ok && window_ok, "{:?} → {:?}", c, result);
        match result {
            Ok(d) => {
                prop_assert!(d.disclosed_until <= add_months(d.decided_on, c.max_months));
                prop_assert!(d.disclosed_until <= day(c.until));
                prop_assert_eq!(d.objected, c.state == RecordState::Objected);
                prop_assert_eq!(d.state_label, c.state.label());
            }
            Err(Withheld::Scope) => prop_assert!(!scope_ok),
            Err(Withheld::State(s)) => prop_assert!(scope_ok && !state_ok && s == c.state),
            Err(Withheld::NotDisclosable) => prop_assert!(scope_ok && state_ok && c.max_months == 0),
            Err(Withheld::NotYet) => prop_assert!(day(c.today) < day(c.decided)),
            Err(Withheld::Ended(e)) => prop_assert!(day(c.today) > e && e == end),
        }
    }

    /// Nothing shown carries an ID number, nor a civil servant's full name.
    #[test]
    fn nothing_shown_leaks_a_name_or_an_id_number(c in case()) {
        if let Ok(d) = run(&c) {
            let texts = [
                Some(d.subject_name.as_str()),
                d.uscc.as_deref(),
                d.unit.as_deref(),
                d.position.as_deref(),
                Some(d.document_no.as_str()),
                Some(d.authority.as_str()),
                Some(d.facts.as_str()),
                d.basis.as_deref(),
                Some(d.outcome.as_str()),
            ];
            for t in texts.into_iter().flatten() {
                prop_assert!(!t.contains(&c.id_number), "ID number in {:?}", t);
                prop_assert!(!t.contains(&c.id_number[..17]), "most of an ID number in {:?}", t);
                if c.subject_kind == SubjectKind::CivilServant {
                    prop_assert!(!t.contains(&c.name), "full name in {:?}", t);
                }
                prop_assert!(!t.contains(COLLEAGUE), "a colleague's full name in {:?}", t);
            }
            if c.subject_kind == SubjectKind::CivilServant {
                prop_assert_eq!(&d.subject_name, &mask_name(&c.name));
                prop_assert!(d.uscc.is_none());
            } else {
                prop_assert_eq!(&d.subject_name, &c.name);
            }
            prop_assert!(d.facts.contains("[身份证号已隐去]"));
        }
    }
}

/// Full-width digits and X made ASCII, and the separators people put inside numbers taken out:
/// whatever form an ID number was written in, its plain digits show here.
fn plain_digits(text: &str) -> String {
    text.chars()
        .filter(|c| !(c.is_whitespace() || SEPARATORS.iter().any(|s| s.contains(*c))))
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap(),
            'Ｘ' | 'ｘ' | 'x' => 'X',
            c => c,
        })
        .collect()
}

/// What may stand between the groups of an ID number.
const SEPARATORS: [&str; 12] = [
    " ", "-", "·", "\u{3000}", "\u{2010}", "\u{2013}", "\u{2014}", "\u{FF0D}", "  ", " - ",
    "\u{00A0}", "\u{30FB}",
];

/// Group sizes an ID number is written in (summing to 18, or 15 for the old form).
const GROUPINGS_18: [&[usize]; 8] = [
    &[18],
    &[6, 8, 4],
    &[6, 8, 3, 1],
    &[3, 3, 4, 4, 4],
    &[4, 4, 4, 4, 2],
    &[6, 4, 4, 4],
    &[6, 4, 2, 2, 4],
    &[2, 4, 8, 4],
];
const GROUPINGS_15: [&[usize]; 5] = [
    &[15],
    &[6, 6, 3],
    &[6, 3, 3, 3],
    &[3, 3, 3, 3, 3],
    &[5, 5, 5],
];

/// What comes before and after an ID number in a text: Chinese, letters, punctuation, and
/// numbers that must survive (a date, a document number, an amount, a phone number, a USCC).
const BEFORE: [&str; 9] = [
    "",
    "身份证号",
    "ID",
    "身份证号ID",
    "证件号码：",
    "（",
    "当事人 ",
    "2024-01-05 ",
    "津滨法〔2024〕123号，当事人",
];
const AFTER: [&str; 8] = [
    "",
    "号",
    "。",
    "）",
    "ABC",
    "，联系电话022-12345678",
    " 2024-01-05",
    "，罚款1,234,567.89元",
];

#[derive(Debug, Clone)]
struct IdCase {
    /// The plain digits of the ID number (18 chars, or 15 digits).
    digits: String,
    written: String,
    text: String,
}

fn id_case() -> impl Strategy<Value = IdCase> {
    (
        (
            prop::sample::select(vec!["120116", "120101", "110105", "310115", "440305"]),
            -40_000i64..-6_000,
            0u16..1000,
            any::<bool>(),
        ),
        (
            0usize..8,
            prop::collection::vec(0usize..SEPARATORS.len(), 6),
            prop::collection::vec(any::<bool>(), 18),
            0usize..3,
        ),
        (0usize..BEFORE.len(), 0usize..AFTER.len()),
    )
        .prop_map(
            |((area, birth, seq, old), (grouping, seps, wide, x_form), (before, after))| {
                let id = IdNumber::from_parts(area, day(birth), seq).unwrap();
                let digits = if old {
                    // The old form: no century, no check char.
                    let n = id.as_str();
                    format!("{}{}", &n[..6], &n[8..17])
                } else {
                    id.as_str().to_string()
                };
                let groups: &[usize] = if old {
                    GROUPINGS_15[grouping % GROUPINGS_15.len()]
                } else {
                    GROUPINGS_18[grouping]
                };
                let mut written = String::new();
                let mut at = 0;
                for (g, size) in groups.iter().enumerate() {
                    if g > 0 {
                        written.push_str(SEPARATORS[seps[g - 1]]);
                    }
                    for (k, c) in digits[at..at + size].chars().enumerate() {
                        let c = match (c, wide[at + k], x_form) {
                            ('X', _, 1) => 'x',
                            ('X', _, 2) => 'Ｘ',
                            (c, true, _) if c.is_ascii_digit() => {
                                char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap()
                            }
                            (c, _, _) => c,
                        };
                        written.push(c);
                    }
                    at += size;
                }
                IdCase {
                    text: format!("{}{written}{}", BEFORE[before], AFTER[after]),
                    digits,
                    written,
                }
            },
        )
}

/// Names of civil servants, some of them inside others (王丽, 王丽华).
const ROSTER_SURNAMES: [&str; 8] = ["张", "王", "李", "欧阳", "司马", "赵", "金", "诸葛"];
const ROSTER_GIVEN: [&str; 8] = ["三", "小明", "建国", "修文", "丽", "丽华", "超文", "德华"];

/// Words around the names, of none of the names' characters.
const PLAIN_WORDS: [&str; 12] = [
    "经办人",
    "区财政局",
    "未按合同约定付款",
    "，",
    "。",
    "负责人",
    "于2024年1月5日",
    "津滨法〔2024〕123号",
    "91120116MA05TEST0X",
    "逾期利息 12 345 元",
    "（科员）",
    "会同",
];

/// Text that looks like what providers write, with no ID number and no roster name in it.
const INNOCENT: [&str; 16] = [
    "2024-01-05",
    "2024年1月5日",
    "2024/1/5",
    "2024.01.05",
    "津滨法〔2024〕123号",
    "津滨财〔2025〕11号",
    "91120116MA05TEST0X",
    "12120116MB0000001X",
    "合同金额1,234,567.89元",
    "12345678元",
    "人民币3 000 000元",
    "电话022-12345678",
    "手机138 0013 8000",
    "账号6222021234567890123",
    "第3-5条",
    "未按合同约定付款",
];
const JOINS: [&str; 5] = ["，", "、", "；", "。", "：其中"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Every form of an ID number is blanked: none of its digits survive as a run.
    #[test]
    fn every_form_of_an_id_number_is_blanked(c in id_case()) {
        let out = blank_id_numbers(&c.text);
        prop_assert!(out.contains(ID_PLACEHOLDER), "{:?} → {:?}", c.text, out);
        let plain = plain_digits(&out);
        let n = c.digits.chars().count();
        for w in 0..=n - 10 {
            let window: String = c.digits.chars().skip(w).take(10).collect();
            prop_assert!(!plain.contains(&window), "{:?} ({:?}) → {:?}", c.text, c.written, out);
        }
    }

    /// Every roster name in a longer text is masked, whatever surrounds it; the words around stay.
    #[test]
    fn roster_names_inside_longer_text_are_masked(
        roster in prop::collection::vec((0usize..8, 0usize..8), 1..6),
        parts in prop::collection::vec((0usize..PLAIN_WORDS.len(), prop::option::of(0usize..6)), 1..12),
    ) {
        let names: Vec<String> = roster
            .iter()
            .map(|(s, g)| format!("{}{}", ROSTER_SURNAMES[*s], ROSTER_GIVEN[*g]))
            .collect();
        let masker = NameMasker::new(names.iter().map(String::as_str));
        let mut text = String::new();
        for (w, name) in &parts {
            text.push_str(PLAIN_WORDS[*w]);
            if let Some(n) = name {
                text.push_str(&names[n % names.len()]);
            }
        }
        let out = masker.mask(&text);
        for n in &names {
            prop_assert!(!out.contains(n.as_str()), "{} in {:?} (from {:?})", n, out, text);
        }
        for (w, _) in &parts {
            prop_assert!(out.contains(PLAIN_WORDS[*w]), "{:?} lost from {:?}", PLAIN_WORDS[*w], out);
        }
        prop_assert_eq!(masker.finds_any(&text), parts.iter().any(|(_, n)| n.is_some()));
    }

    /// Text with no ID number and no roster name in it passes unchanged.
    #[test]
    fn text_without_ids_or_names_passes_unchanged(
        parts in prop::collection::vec((0usize..INNOCENT.len(), 0usize..JOINS.len()), 1..10),
        roster in prop::collection::vec((0usize..8, 0usize..8), 0..6),
    ) {
        let mut text = String::new();
        for (p, j) in &parts {
            text.push_str(INNOCENT[*p]);
            text.push_str(JOINS[*j]);
        }
        let names: Vec<String> = roster
            .iter()
            .map(|(s, g)| format!("{}{}", ROSTER_SURNAMES[*s], ROSTER_GIVEN[*g]))
            .collect();
        let masker = NameMasker::new(names.iter().map(String::as_str));
        prop_assert_eq!(&blank_id_numbers(&text), &text);
        prop_assert_eq!(&masker.mask(&text), &text);
    }
}

/// A valid USCC made only of digits reads like an ID number but is a unit's public code.
#[test]
fn a_unit_code_of_digits_survives() {
    let mut found = 0;
    for n in 0..200_000u32 {
        let body = format!("{n:08}");
        let Some(org) = Uscc::org_code_check_char(&body) else {
            continue;
        };
        let first17 = format!("11120116{body}{org}");
        let Some(check) = Uscc::compute_check_char(&first17) else {
            continue;
        };
        let code = format!("{first17}{check}");
        if code.chars().all(|c| c.is_ascii_digit()) && IdNumber::parse(&code).is_err() {
            assert!(Uscc::parse(&code).is_ok());
            let text = format!("统一社会信用代码{code}，");
            assert_eq!(blank_id_numbers(&text), text);
            found += 1;
            if found == 20 {
                return;
            }
        }
    }
    panic!("no all-digit USCC found");
}
