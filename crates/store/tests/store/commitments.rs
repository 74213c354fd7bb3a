//! The commitments registry in the store: procurement contracts imported, sent again, changed
//! before a payment and refused after one; payments checked against their contract as it stands
//! after the rows before them, sent again (by voucher, or by day and amount), and summed into the
//! contract's row; the lists' state filters agreeing with the domain's `Position::status` on
//! every day; the arrears clock's query and its link to a drafted record, journaled and verified;
//! on SQLite and PostgreSQL.

use crate::common::*;
use chrono::{Days, NaiveDate};
use probity_domain::Code;
use probity_domain::commitment::money::DailyRate;
use probity_domain::commitment::procurement::{NewContract, NewPayment, PaymentRule};
use probity_domain::commitment::{Kind, State, Window};
use probity_store::{CommitmentFilter, RowOutcome, Store};

store_tests! {
    contracts_are_accepted_sent_again_changed_and_refused => commitments_contracts_sqlite, commitments_contracts_postgres;
    payments_are_checked_against_their_contract_and_summed => commitments_payments_sqlite, commitments_payments_postgres;
    the_state_filters_agree_with_the_domain_on_every_day => commitments_states_sqlite, commitments_states_postgres;
    arrears_past_the_grace_are_found_and_linked_once => commitments_arrears_sqlite, commitments_arrears_postgres;
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn contract(no: &str, amount_yuan: i64, accepted: Option<&str>) -> NewContract {
    NewContract {
        purchaser: FINANCE.into(),
        contract_no: no.into(),
        title: "教学设备采购".into(),
        supplier: "天津某科技有限公司".into(),
        supplier_uscc: None,
        supplier_sme: true,
        amount: amount_yuan * 100,
        accepted_on: accepted.map(d),
        payment_days: 30,
        agreed_rate: None,
    }
}

fn pay(no: &str, on: &str, yuan: i64, voucher: Option<&str>) -> NewPayment {
    NewPayment {
        purchaser: None,
        contract_no: no.into(),
        paid_on: d(on),
        amount: yuan * 100,
        voucher_no: voucher.map(str::to_string),
    }
}

fn code_of(o: &RowOutcome) -> (&'static str, Code) {
    match o {
        RowOutcome::Rejected(errs) => (errs[0].column, errs[0].error.code),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn window(today: &str, grace: u32) -> Window {
    Window {
        today: d(today),
        warn_until: d(today) + Days::new(7),
        grace_days: grace,
    }
}

fn filter(state: Option<State>, w: Window) -> CommitmentFilter {
    CommitmentFilter {
        kind: Kind::Procurement,
        owner: None,
        state,
        q: None,
        window: w,
    }
}

fn contracts_are_accepted_sent_again_changed_and_refused(store: &Store) {
    let fx = fixture(store);
    let f = fx.finance.id;
    let head = store.head_seq().unwrap();
    let out = store
        .import_contracts(
            "cli:root",
            "contracts.csv",
            vec![
                (2, f, contract("A-1", 1_000_000, Some("2024-01-20"))),
                (3, f, contract("A-2", 500, None)),
                // The same number for another purchaser is another contract.
                (4, fx.township.id, contract("A-1", 7, Some("2024-01-20"))),
                // The same row twice in one file: one contract.
                (5, f, contract("A-2", 500, None)),
                // The same number with other terms in one file: refused.
                (6, f, contract("A-2", 501, None)),
            ],
        )
        .unwrap();
    let ids: Vec<i64> = out
        .iter()
        .filter_map(|(_, o)| match o {
            RowOutcome::Accepted { id } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 3, "{out:?}");
    assert_eq!(out[3].1, RowOutcome::Duplicate { id: ids[1] }, "{out:?}");
    assert_eq!(code_of(&out[4].1), ("contract_no", Code::DuplicateConflict));
    assert_eq!(
        store.head_seq().unwrap(),
        head + 3,
        "one entry per contract"
    );
    let a1 = store.contract(ids[0]).unwrap();
    assert_eq!(a1.due_on, Some(d("2024-02-19")));
    assert_eq!((a1.amount, a1.paid, a1.payments), (100_000_000, 0, 0));

    // Sent again: duplicates, nothing written.
    let head = store.head_seq().unwrap();
    let again = store
        .import_contracts(
            "cli:root",
            "contracts.csv",
            vec![(2, f, contract("A-1", 1_000_000, Some("2024-01-20")))],
        )
        .unwrap();
    assert_eq!(again[0].1, RowOutcome::Duplicate { id: ids[0] });
    assert_eq!(store.head_seq().unwrap(), head);

    // Delivered since: the contract is updated (no payment yet), journaled.
    let upd = store
        .import_contracts(
            "cli:root",
            "contracts.csv",
            vec![(2, f, contract("A-2", 500, Some("2024-05-01")))],
        )
        .unwrap();
    assert_eq!(upd[0].1, RowOutcome::Updated { id: ids[1] });
    assert_eq!(
        store.contract(ids[1]).unwrap().due_on,
        Some(d("2024-05-31"))
    );
    assert_eq!(store.head_seq().unwrap(), head + 1);

    // Once paid, its terms can no longer change.
    store
        .import_payments(
            "cli:root",
            "payments.csv",
            vec![(2, Some(f), pay("A-1", "2024-02-01", 10, None))],
        )
        .unwrap();
    let refused = store
        .import_contracts(
            "cli:root",
            "contracts.csv",
            vec![(2, f, contract("A-1", 2_000_000, Some("2024-01-20")))],
        )
        .unwrap();
    assert_eq!(
        code_of(&refused[0].1),
        ("contract_no", Code::ContractHasPayments)
    );
    assert_eq!(store.contract(ids[0]).unwrap().amount, 100_000_000);
    assert_clean(store);

    // A contract's terms edited behind the platform's back are caught.
    store
        .raw_exec(&format!(
            "UPDATE commitments SET amount = 1 WHERE id = {}",
            ids[2]
        ))
        .unwrap();
    assert_row_problem(&problem(store), "commitment", &ids[2].to_string());
}

fn payments_are_checked_against_their_contract_and_summed(store: &Store) {
    let fx = fixture(store);
    let (f, t) = (fx.finance.id, fx.township.id);
    let out = store
        .import_contracts(
            "cli:root",
            "c.csv",
            vec![
                (2, f, contract("P-1", 1_000_000, Some("2024-01-20"))),
                (3, f, contract("SAME", 100, Some("2024-01-20"))),
                (4, t, contract("SAME", 100, Some("2024-01-20"))),
                (5, f, contract("NOT-DELIVERED", 100, None)),
            ],
        )
        .unwrap();
    let p1 = match out[0].1 {
        RowOutcome::Accepted { id } => id,
        ref o => panic!("{o:?}"),
    };
    let out = store
        .import_payments(
            "cli:root",
            "p.csv",
            vec![
                (2, None, pay("P-1", "2024-03-05", 400_000, Some("V1"))),
                (3, None, pay("P-1", "2024-02-10", 100_000, None)),
                // Together with the two before, more than the contract's amount.
                (4, None, pay("P-1", "2024-03-06", 500_001, None)),
                (5, None, pay("NOPE", "2024-03-06", 1, None)),
                (6, None, pay("SAME", "2024-03-06", 1, None)),
                (7, Some(t), pay("SAME", "2024-03-06", 1, None)),
                (8, None, pay("P-1", "2024-01-19", 1, None)),
                (9, None, pay("NOT-DELIVERED", "2024-03-06", 1, None)),
                // Sent twice in the same file: by voucher, and by day and amount.
                (10, None, pay("P-1", "2024-03-05", 400_000, Some("V1"))),
                (11, None, pay("P-1", "2024-02-10", 100_000, None)),
            ],
        )
        .unwrap();
    let got: Vec<String> = out
        .iter()
        .map(|(row, o)| match o {
            RowOutcome::Accepted { .. } => format!("{row} accepted"),
            RowOutcome::Duplicate { .. } => format!("{row} duplicate"),
            RowOutcome::Updated { .. } => format!("{row} updated"),
            RowOutcome::Rejected(e) => format!("{row} {}", e[0].error.code),
        })
        .collect();
    assert_eq!(
        got,
        vec![
            "2 accepted",
            "3 accepted",
            "4 PAYMENT_EXCEEDS_UNPAID",
            "5 CONTRACT_UNKNOWN",
            "6 CONTRACT_AMBIGUOUS",
            "7 accepted",
            "8 PAYMENT_BEFORE_ACCEPTANCE",
            "9 PAYMENT_BEFORE_ACCEPTANCE",
            "10 duplicate",
            "11 duplicate",
        ]
    );
    let c = store.contract(p1).unwrap();
    assert_eq!(c.paid, 50_000_000);
    // 400,000 paid 15 days late (2024: 19 February → 5 March); 100,000 on time.
    assert_eq!((c.late_fen_days, c.max_late_days), (40_000_000 * 15, 15));
    assert_eq!((c.last_paid_on, c.payments), (Some(d("2024-03-05")), 2));
    let payments = store.payments_of(p1).unwrap();
    assert_eq!(
        payments
            .iter()
            .map(|p| (p.paid_on, p.amount))
            .collect::<Vec<_>>(),
        vec![(d("2024-02-10"), 10_000_000), (d("2024-03-05"), 40_000_000)]
    );

    // Sent again in a later file: still duplicates; the rest, up to the amount, accepted.
    let out = store
        .import_payments(
            "cli:root",
            "p2.csv",
            vec![
                (2, None, pay("P-1", "2024-03-05", 400_000, Some("V1"))),
                (3, None, pay("P-1", "2024-02-10", 100_000, None)),
                (4, None, pay("P-1", "2024-04-01", 500_000, Some("V9"))),
            ],
        )
        .unwrap();
    assert!(matches!(out[0].1, RowOutcome::Duplicate { .. }), "{out:?}");
    assert!(matches!(out[1].1, RowOutcome::Duplicate { .. }), "{out:?}");
    assert!(matches!(out[2].1, RowOutcome::Accepted { .. }), "{out:?}");
    let c = store.contract(p1).unwrap();
    assert_eq!((c.paid, c.max_late_days, c.payments), (100_000_000, 42, 3));
    let s = c
        .position()
        .status(&window("2024-12-31", 30), &PaymentRule::default());
    assert_eq!((s.state, s.unpaid, s.overdue_days), (State::Broken, 0, 42));
    // 0.05% × (400,000 × 15 + 500,000 × 42) = 3,000 + 10,500.
    assert_eq!(s.interest, 1_350_000);
    assert_clean(store);

    // A payment edited behind the platform's back is caught.
    store
        .raw_exec(&format!(
            "UPDATE commitment_entries SET amount = 1 WHERE id = {}",
            payments[0].id
        ))
        .unwrap();
    assert_row_problem(
        &problem(store),
        "commitment_entry",
        &payments[0].id.to_string(),
    );
}

fn the_state_filters_agree_with_the_domain_on_every_day(store: &Store) {
    let fx = fixture(store);
    let f = fx.finance.id;
    // Contracts accepted on every fifth day of a spring, paid in no, some or all pieces, on time
    // or late.
    let mut rows = Vec::new();
    let mut payments = Vec::new();
    for i in 0..48u64 {
        let no = format!("S-{i}");
        let accepted = d("2024-01-01") + Days::new(i * 5);
        let mut c = contract(&no, 1_000, Some(&accepted.to_string()));
        if i % 7 == 0 {
            c.accepted_on = None;
        }
        if i % 5 == 0 {
            c.agreed_rate = Some(DailyRate(30_000));
        }
        rows.push((i as usize + 2, f, c.clone()));
        if c.accepted_on.is_none() {
            continue;
        }
        let due = accepted + Days::new(30);
        let on = |k: u64| (due + Days::new(k)).to_string();
        match i % 4 {
            0 => {}
            1 => payments.push((i as usize, None, pay(&no, &on(0), 1_000, None))),
            2 => payments.push((i as usize, None, pay(&no, &on(3 + i % 40), 1_000, None))),
            _ => payments.push((i as usize, None, pay(&no, &on(0), 400, None))),
        }
    }
    store.import_contracts("cli:root", "c.csv", rows).unwrap();
    let out = store
        .import_payments("cli:root", "p.csv", payments)
        .unwrap();
    assert!(
        out.iter()
            .all(|(_, o)| matches!(o, RowOutcome::Accepted { .. })),
        "{out:?}"
    );
    let rule = PaymentRule::default();
    let all = store
        .contracts(&filter(None, window("2024-01-01", 30)), 0, 500)
        .unwrap();
    assert_eq!(all.len(), 48);
    let mut seen = std::collections::HashSet::new();
    for day in (0..320).step_by(9) {
        for grace in [0, 30] {
            let w = window(&(d("2024-01-01") + Days::new(day)).to_string(), grace);
            let mut total = 0;
            for state in State::ALL {
                let listed: Vec<i64> = store
                    .contracts(&filter(Some(state), w), 0, 500)
                    .unwrap()
                    .iter()
                    .map(|c| c.id)
                    .collect();
                let expected: Vec<i64> = all
                    .iter()
                    .filter(|c| {
                        c.position()
                            .status(
                                &w,
                                &PaymentRule {
                                    grace_days: grace,
                                    ..rule.clone()
                                },
                            )
                            .state
                            == state
                    })
                    .map(|c| c.id)
                    .collect();
                assert_eq!(listed, expected, "{state:?} on {w:?}");
                assert_eq!(
                    store.contract_count(&filter(Some(state), w)).unwrap(),
                    listed.len() as i64
                );
                if !listed.is_empty() {
                    seen.insert(state);
                }
                total += listed.len();
            }
            assert_eq!(total, 48, "every contract is in exactly one state on {w:?}");
        }
    }
    assert_eq!(
        seen.len(),
        State::ALL.len(),
        "every state was reached: {seen:?}"
    );
}

fn arrears_past_the_grace_are_found_and_linked_once(store: &Store) {
    let fx = fixture(store);
    let f = fx.finance.id;
    store
        .import_contracts(
            "cli:root",
            "c.csv",
            vec![
                (2, f, contract("R-UNPAID", 100, Some("2024-01-20"))),
                (3, f, contract("R-LATE", 100, Some("2024-01-20"))),
                (4, f, contract("R-ONTIME", 100, Some("2024-01-20"))),
            ],
        )
        .unwrap();
    store
        .import_payments(
            "cli:root",
            "p.csv",
            vec![
                (2, None, pay("R-LATE", "2024-04-01", 100, None)),
                (3, None, pay("R-ONTIME", "2024-02-19", 100, None)),
            ],
        )
        .unwrap();
    // The yearly disclosure's figures, as of a day: due before it, and short of the amount by
    // the payments made on or before it.
    assert_eq!(store.overdue_unpaid_at(d("2024-02-19")).unwrap(), vec![]);
    assert_eq!(
        store.overdue_unpaid_at(d("2024-03-31")).unwrap(),
        vec![(f, 2, 20_000)]
    );
    assert_eq!(
        store.overdue_unpaid_at(d("2024-04-01")).unwrap(),
        vec![(f, 1, 10_000)]
    );
    // Due 19 February. On 20 March (30 days): within the grace. R-LATE was paid 42 days late.
    let names = |ids: Vec<i64>| -> Vec<String> {
        store
            .contracts_by_id(&ids)
            .unwrap()
            .into_iter()
            .map(|c| c.contract_no)
            .collect()
    };
    let due = store
        .arrears_without_record(&window("2024-03-20", 30))
        .unwrap();
    assert_eq!(names(due), vec!["R-LATE"]);
    let due_ids = store
        .arrears_without_record(&window("2024-03-21", 30))
        .unwrap();
    assert_eq!(names(due_ids.clone()), vec!["R-UNPAID", "R-LATE"]);
    let due = store.contracts_by_id(&due_ids).unwrap();
    assert_eq!(due.iter().map(|c| c.id).collect::<Vec<_>>(), due_ids);
    // Linked to a record: no longer found; linking twice changes nothing the second time.
    let rec = import(
        store,
        &fx.finance,
        true,
        &[unit_record(
            &fx.finance,
            "PAYMENT_ARREARS",
            "采购合同逾期付款-1",
        )],
    );
    let record_id = accepted(&rec[0]);
    let head = store.head_seq().unwrap();
    let linked = store
        .write(|tx| {
            tx.commitments()
                .link_record(due[0].id, record_id, "system:commitments")
        })
        .unwrap();
    assert!(linked);
    let again = store
        .write(|tx| {
            tx.commitments()
                .link_record(due[0].id, record_id, "system:commitments")
        })
        .unwrap();
    assert!(!again);
    assert_eq!(store.head_seq().unwrap(), head + 1);
    assert_eq!(
        store.contract(due[0].id).unwrap().record_id,
        Some(record_id)
    );
    let left = store
        .arrears_without_record(&window("2024-03-21", 30))
        .unwrap();
    assert_eq!(names(left), vec!["R-LATE"]);
    assert_clean(store);
}
