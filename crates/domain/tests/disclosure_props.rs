//! Property tests of the disclosure policy: no combination of lifecycle state, scope, viewer,
//! severity bounds and dates shows a record it should not, and nothing shown carries a civil
//! servant's full name or an ID number.

use chrono::{Duration, NaiveDate};
use probity_domain::catalog::{DisclosureBounds, RecordKind, Scope, Severity};
use probity_domain::date::add_months;
use probity_domain::disclosure::{
    Disclosed, RecordFacts, SubjectFacts, Viewer, Withheld, disclose, mask_name,
};
use probity_domain::ident::IdNumber;
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
    let authority = format!("区纪委（经办：{}）", c.name);
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
    disclose(&r, &s, c.viewer, day(c.today))
}

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
