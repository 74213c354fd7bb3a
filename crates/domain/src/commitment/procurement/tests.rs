use super::*;
use crate::commitment::money::yuan_text;
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn window(today: &str) -> Window {
    Window {
        today: d(today),
        warn_until: d(today) + chrono::Days::new(7),
        grace_days: 30,
    }
}

fn row() -> ContractRow {
    ContractRow {
        purchaser: "区教育局".into(),
        contract_no: "BH-2024-001".into(),
        title: "教学设备采购".into(),
        supplier: "天津某科技有限公司".into(),
        supplier_uscc: String::new(),
        supplier_sme: "是".into(),
        amount: "1,000,000".into(),
        accepted_on: "2024-01-20".into(),
        payment_days: String::new(),
        agreed_daily_rate: String::new(),
    }
}

fn position(c: &NewContract) -> Position {
    Position {
        amount: c.amount,
        due_on: c.due_on(),
        accepted_on: c.accepted_on,
        agreed_rate: c.agreed_rate,
        ..Position::default()
    }
}

fn pay(no: &str, on: &str, yuan: i64) -> NewPayment {
    NewPayment {
        purchaser: None,
        contract_no: no.into(),
        paid_on: d(on),
        amount: yuan * 100,
        voucher_no: None,
    }
}

#[test]
fn the_worked_example_across_a_leap_february() {
    let rule = PaymentRule::default();
    let c = row().validate(&rule, d("2024-12-31")).unwrap();
    // No term agreed: 30 calendar days from acceptance.
    assert_eq!(c.payment_days, 30);
    assert_eq!(c.due_on(), Some(d("2024-02-19")));
    // 400,000 paid on 5 March: 15 days late (19 → 29 February is 10 days in 2024, then 5).
    let p = position(&c)
        .apply(&pay("BH-2024-001", "2024-03-05", 400_000))
        .unwrap();
    assert_eq!(p.late_fen_days, 40_000_000 * 15);
    // On 20 March 600,000 is 30 days unpaid: 0.05% × (400,000 × 15 + 600,000 × 30) = 12,000.
    let s = p.status(&window("2024-03-20"), &rule);
    assert_eq!(s.unpaid, 60_000_000);
    assert_eq!(s.overdue_days, 30);
    assert_eq!(yuan_text(s.interest), "12,000.00");
    assert_eq!(s.state, State::Overdue);
    assert!(!s.draft_due);
    // The next day the grace (30 days) has passed.
    let s = p.status(&window("2024-03-21"), &rule);
    assert_eq!(
        (s.state, s.overdue_days, s.draft_due),
        (State::Broken, 31, true)
    );
    assert_eq!(yuan_text(s.interest), "12,300.00");
}

#[test]
fn the_same_dates_a_year_earlier_count_one_day_less() {
    let rule = PaymentRule::default();
    let mut r = row();
    r.accepted_on = "2023-01-20".into();
    let c = r.validate(&rule, d("2024-12-31")).unwrap();
    assert_eq!(c.due_on(), Some(d("2023-02-19")));
    let p = position(&c)
        .apply(&pay("BH-2024-001", "2023-03-05", 400_000))
        .unwrap();
    // 19 → 28 February is 9 days in 2023.
    assert_eq!(p.max_late_days, 14);
    let s = p.status(&window("2023-03-20"), &rule);
    assert_eq!(s.overdue_days, 29);
    // 0.05% × (400,000 × 14 + 600,000 × 29) = 2,800 + 8,700.
    assert_eq!(yuan_text(s.interest), "11,500.00");
}

#[test]
fn an_agreed_rate_and_term_replace_the_defaults() {
    let rule = PaymentRule::default();
    let mut r = row();
    r.payment_days = "60".into();
    r.agreed_daily_rate = "万分之三".into();
    r.amount = "200000.50".into();
    let c = r.validate(&rule, d("2024-12-31")).unwrap();
    assert_eq!(c.due_on(), Some(d("2024-03-20")));
    // Paid in full 5 days late: broken (late), 200,000.50 × 5 × 0.03% = 300.00075 → 300.00.
    let p = position(&c)
        .apply(&NewPayment {
            amount: 20_000_050,
            ..pay("BH-2024-001", "2024-03-25", 0)
        })
        .unwrap();
    let s = p.status(&window("2024-06-01"), &rule);
    assert_eq!(
        (s.state, s.unpaid, s.overdue_days, s.draft_due),
        (State::Broken, 0, 5, false)
    );
    assert_eq!(yuan_text(s.interest), "300.00");
}

#[test]
fn paid_in_full_on_the_due_day_is_kept() {
    let rule = PaymentRule::default();
    let c = row().validate(&rule, d("2024-12-31")).unwrap();
    let p = position(&c)
        .apply(&pay("BH-2024-001", "2024-02-01", 100_000))
        .unwrap()
        .apply(&pay("BH-2024-001", "2024-02-19", 900_000))
        .unwrap();
    let s = p.status(&window("2024-12-31"), &rule);
    assert_eq!((s.state, s.interest, s.overdue_days), (State::Kept, 0, 0));
}

#[test]
fn open_due_soon_and_not_started() {
    let rule = PaymentRule::default();
    let c = row().validate(&rule, d("2024-12-31")).unwrap();
    let p = position(&c);
    assert_eq!(p.status(&window("2024-01-25"), &rule).state, State::Open);
    // Due on 19 February; the window reaches 7 days ahead.
    assert_eq!(p.status(&window("2024-02-12"), &rule).state, State::DueSoon);
    assert_eq!(p.status(&window("2024-02-19"), &rule).state, State::DueSoon);
    assert_eq!(p.status(&window("2024-02-20"), &rule).state, State::Overdue);
    let mut r = row();
    r.accepted_on.clear();
    let c = r.validate(&rule, d("2024-12-31")).unwrap();
    assert_eq!(c.due_on(), None);
    let s = position(&c).status(&window("2030-01-01"), &rule);
    assert_eq!((s.state, s.interest), (State::Open, 0));
    // No payment before the clock starts.
    let e = position(&c)
        .apply(&pay("BH-2024-001", "2024-02-01", 1))
        .unwrap_err();
    assert_eq!(e.error.code, Code::PaymentBeforeAcceptance);
}

#[test]
fn a_payment_before_acceptance_or_beyond_what_is_unpaid_is_refused() {
    let rule = PaymentRule::default();
    let c = row().validate(&rule, d("2024-12-31")).unwrap();
    let p = position(&c)
        .apply(&pay("BH-2024-001", "2024-01-25", 999_999))
        .unwrap();
    let e = p.apply(&pay("BH-2024-001", "2024-01-26", 2)).unwrap_err();
    assert_eq!(
        (e.column, e.error.code),
        ("paid_amount", Code::PaymentExceedsUnpaid)
    );
    assert_eq!(
        e.error.message,
        "付款金额 2.00 元超过合同 BH-2024-001 未付金额 1.00 元"
    );
    let e = p.apply(&pay("BH-2024-001", "2024-01-19", 1)).unwrap_err();
    assert_eq!(
        (e.column, e.error.code),
        ("paid_on", Code::PaymentBeforeAcceptance)
    );
}

#[test]
fn a_bad_contract_row_reports_every_fault_at_once() {
    let rule = PaymentRule::default();
    let r = ContractRow {
        purchaser: String::new(),
        supplier_uscc: "123".into(),
        supplier_sme: "可能".into(),
        amount: "-5".into(),
        accepted_on: "2099-01-01".into(),
        payment_days: "61".into(),
        agreed_daily_rate: "5%".into(),
        ..row()
    };
    let errs = r.validate(&rule, d("2024-12-31")).unwrap_err();
    let got: Vec<(&str, &str)> = errs
        .iter()
        .map(|e| (e.column, e.error.code.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("purchaser", "REQUIRED"),
            ("supplier_uscc", "USCC_LENGTH"),
            ("supplier_sme", "FLAG_INVALID"),
            ("amount", "AMOUNT_INVALID"),
            ("accepted_on", "DATE_INVALID"),
            ("payment_days", "PAYMENT_TERM_TOO_LONG"),
            ("agreed_daily_rate", "RATE_INVALID"),
        ]
    );
    let term = errs.iter().find(|e| e.column == "payment_days").unwrap();
    assert_eq!(
        term.error.message,
        "付款期限 61 日超过条例允许的最长 60 日（保障中小企业款项支付条例）"
    );
    let nul = ContractRow {
        title: "设备\u{0}采购".into(),
        ..row()
    };
    let errs = nul.validate(&rule, d("2024-12-31")).unwrap_err();
    assert_eq!(errs[0].error.code, Code::TextControlChar);
}

#[test]
fn a_bad_payment_row_reports_every_fault_at_once() {
    let errs = PaymentRow {
        purchaser: String::new(),
        contract_no: String::new(),
        paid_on: "2024-13-01".into(),
        paid_amount: "0".into(),
        voucher_no: String::new(),
    }
    .validate(d("2024-12-31"))
    .unwrap_err();
    let got: Vec<&str> = errs.iter().map(|e| e.column).collect();
    assert_eq!(got, vec!["contract_no", "paid_on", "paid_amount"]);
}

#[test]
fn the_rule_refuses_nonsense_and_reads_back_what_it_wrote() {
    let rule = PaymentRule::default();
    rule.validate().unwrap();
    let json = serde_json::to_string(&rule).unwrap();
    assert!(json.contains(r#""default_daily_rate":"0.05%""#), "{json}");
    assert_eq!(serde_json::from_str::<PaymentRule>(&json).unwrap(), rule);
    let bad = PaymentRule {
        default_days: 90,
        max_days: 60,
        grace_days: 400,
        ..PaymentRule::default()
    };
    let cols: Vec<&str> = bad
        .validate()
        .unwrap_err()
        .iter()
        .map(|e| e.column)
        .collect();
    assert_eq!(cols, vec!["default_days", "grace_days"]);
    assert!(serde_json::from_str::<PaymentRule>(r#"{"grace":3}"#).is_err());
}

#[test]
fn a_rule_from_read_fields_reports_what_was_unread_and_checks_only_the_rest() {
    let unread = |column| FieldError {
        column,
        error: DomainError::new(Code::Required, "未填写"),
    };
    let read = RuleFields {
        default_days: Some(90),
        max_days: None,
        default_daily_rate: Some(DailyRate(50_000)),
        grace_days: Some(400),
        warn_working_days: Some(5),
    };
    // The default term is not checked against a stand-in for the unread longest term.
    let errs = PaymentRule::from_fields(read, vec![unread("max_days")]).unwrap_err();
    let cols: Vec<&str> = errs.iter().map(|e| e.column).collect();
    assert_eq!(cols, vec!["max_days", "grace_days"]);
    let read = RuleFields {
        max_days: Some(60),
        ..read
    };
    let cols: Vec<&str> = PaymentRule::from_fields(read, vec![])
        .unwrap_err()
        .iter()
        .map(|e| e.column)
        .collect();
    assert_eq!(cols, vec!["default_days", "grace_days"]);
    let ok = RuleFields {
        default_days: Some(30),
        grace_days: Some(10),
        ..read
    };
    assert_eq!(
        PaymentRule::from_fields(ok, vec![]),
        Ok(PaymentRule {
            grace_days: 10,
            ..PaymentRule::default()
        })
    );
}

proptest! {
    /// Paying in any pieces on any days after acceptance: what is paid never exceeds the amount,
    /// interest never falls as the days pass, and the state agrees with the window's dates (the
    /// store filters by those same dates).
    #[test]
    fn payments_and_days_keep_the_books_straight(
        amount in 1i64..1_000_000_000,
        pieces in proptest::collection::vec((0u32..200, 1u32..100), 0..6),
        days_after in 0u32..400,
    ) {
        let rule = PaymentRule::default();
        let accepted = d("2024-01-20");
        let mut p = Position {
            amount,
            due_on: Some(accepted + chrono::Days::new(30)),
            accepted_on: Some(accepted),
            ..Position::default()
        };
        for (day, pct) in pieces {
            let piece = (p.amount - p.paid) * i64::from(pct) / 100;
            if piece == 0 { continue; }
            p = p.apply(&NewPayment {
                purchaser: None,
                contract_no: "X".into(),
                paid_on: accepted + chrono::Days::new(u64::from(day)),
                amount: piece,
                voucher_no: None,
            }).unwrap();
        }
        prop_assert!(p.paid <= p.amount);
        let today = accepted + chrono::Days::new(u64::from(days_after) + 200);
        let w = window(&today.to_string());
        let s = p.status(&w, &rule);
        let later = p.status(&Window { today: w.today + chrono::Days::new(1), ..w }, &rule);
        prop_assert!(later.interest >= s.interest);
        let due = p.due_on.unwrap();
        let expected = if p.paid < p.amount {
            if due < w.grace_cutoff() { State::Broken }
            else if due < w.today { State::Overdue }
            else if due <= w.warn_until { State::DueSoon }
            else { State::Open }
        } else if p.max_late_days > 0 { State::Broken } else { State::Kept };
        prop_assert_eq!(s.state, expected);
    }
}
