//! `probity commitments import` and `list`, and the commitments' clock in `probity tick`: the
//! worked example of the payment rule (保障中小企业款项支付条例) from a file to a draft
//! `PAYMENT_ARREARS` record about the purchaser, on SQLite and PostgreSQL.

use probity_domain::record::RecordState;

use super::*;

const CONTRACTS: &str = "\
采购单位,合同编号,合同名称,供应商,供应商统一社会信用代码,是否中小企业,合同金额（元）,交付或验收日期,付款期限（日）,约定逾期利率（日）
区财政局,BH-2024-001,教学设备采购,天津某科技有限公司,,是,\"1,000,000\",2024-01-20,,
区财政局,BH-2024-002,课桌椅,天津某家具有限公司,,是,200000.50,2024-01-20,60,万分之三
新河街道,BH-2024-003,办公用品,天津某商贸有限公司,,否,8000,2024-02-25,,
区建交局,BH-2024-004,图书,天津某书店,,否,50000,2024-01-20,61,
不存在的局,BH-2024-005,图书,天津某书店,,可能,50000,2024-01-20,,
";

const PAYMENTS: &str = "\
合同编号,付款日期,付款金额（元）,采购单位,付款凭证号
BH-2024-001,2024-03-05,400000,,PZ-1
BH-2024-002,2024-03-25,200000.50,,PZ-2
BH-2024-002,2024-03-26,1,,PZ-3
BH-2024-009,2024-03-25,1,,
BH-2024-001,2024-01-01,1,,
";

fn json_rows(o: &Output) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(&stdout(o)).expect("a JSON array");
    v.as_array().unwrap().clone()
}

fn by_no<'a>(rows: &'a [serde_json::Value], no: &str) -> &'a serde_json::Value {
    rows.iter()
        .find(|r| r["contract_no"] == no)
        .unwrap_or_else(|| panic!("{no} in {rows:?}"))
}

both!(commitments_import_list_and_draft_arrears, |env| {
    setup(env);
    let contracts = env.write("contracts.csv", CONTRACTS.as_bytes());
    let errors = env.path("contract-errors.csv");
    let o = env.run(&[
        "commitments",
        "import",
        contracts.to_str().unwrap(),
        "--kind",
        "procurement",
        "--errors",
        errors.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 3, "rejected rows: {}", stderr(&o));
    assert!(
        stdout(&o).contains("accepted 3, duplicates 0, rejected 2"),
        "{}",
        stdout(&o)
    );
    let err = stderr(&o);
    assert!(
        err.contains("第 5 行［付款期限（日）］：付款期限 61 日超过条例允许的最长 60 日"),
        "{err}"
    );
    // Every fault of a row at once: the unknown purchaser and the yes/no cell.
    assert!(
        err.contains("第 6 行［采购单位］：采购单位“不存在的局”不在主体名录中"),
        "{err}"
    );
    assert!(err.contains("第 6 行［是否中小企业］"), "{err}");
    let report = std::fs::read_to_string(&errors).unwrap();
    assert!(report.contains("PAYMENT_TERM_TOO_LONG"), "{report}");
    assert!(report.contains("FLAG_INVALID"), "{report}");

    // The same file again: nothing new.
    let o = env.run(&[
        "commitments",
        "import",
        contracts.to_str().unwrap(),
        "--kind",
        "procurement",
    ]);
    assert!(
        stdout(&o).contains("accepted 0, duplicates 3, rejected 2"),
        "{}",
        stdout(&o)
    );

    let payments = env.write("payments.csv", PAYMENTS.as_bytes());
    let o = env.run(&[
        "commitments",
        "import",
        payments.to_str().unwrap(),
        "--kind",
        "payments",
        "--json",
    ]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(summary["accepted"], 2, "{summary}");
    assert_eq!(summary["rejected"], 3, "{summary}");
    let codes = summary.to_string();
    for c in [
        "PAYMENT_EXCEEDS_UNPAID",
        "CONTRACT_UNKNOWN",
        "PAYMENT_BEFORE_ACCEPTANCE",
    ] {
        assert!(codes.contains(c), "{c}: {codes}");
    }

    // The worked example as of 20 March 2024: 600,000 unpaid for 30 days; 0.05% a day on
    // 400,000 × 15 days and 600,000 × 30 days.
    let o = env.run(&["commitments", "list", "--today", "2024-03-20", "--json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let rows = json_rows(&o);
    assert_eq!(rows.len(), 3);
    let a = by_no(&rows, "BH-2024-001");
    assert_eq!(a["due_on"], "2024-02-19");
    assert_eq!(a["unpaid"], "600000.00");
    assert_eq!(a["overdue_days"], 30);
    assert_eq!(a["interest"], "12000.00");
    assert_eq!(a["state"], "overdue");
    assert_eq!(a["purchaser"], "天津市滨海新区财政局");
    let b = by_no(&rows, "BH-2024-002");
    assert_eq!(
        (b["state"].as_str(), b["interest"].as_str()),
        (Some("broken"), Some("300.00"))
    );
    assert_eq!(by_no(&rows, "BH-2024-003")["state"], "due_soon");

    let o = env.run(&[
        "commitments",
        "list",
        "--today",
        "2024-03-20",
        "--state",
        "已逾期",
        "--json",
    ]);
    let rows = json_rows(&o);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["contract_no"], "BH-2024-001");
    let o = env.run(&["commitments", "list", "--state", "late"]);
    assert_eq!(code(&o), 2, "an unknown state is a usage error");
    assert!(stderr(&o).contains("未知状态“late”"), "{}", stderr(&o));

    // Within the grace (30 days overdue) nothing is drafted; the day after, a draft about
    // the purchaser, linked to the contract; never activated.
    let o = env.run(&["tick", "--today", "2024-03-20"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("起草拖欠账款记录 0 条"),
        "{}",
        stdout(&o)
    );
    let o = env.run(&["tick", "--today", "2024-03-21"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("逾期 0 份，起草拖欠账款记录 1 条"),
        "{}",
        stdout(&o)
    );
    let o = env.run(&[
        "commitments",
        "list",
        "--today",
        "2024-03-21",
        "--state",
        "broken",
        "--json",
    ]);
    let rows = json_rows(&o);
    let a = by_no(&rows, "BH-2024-001");
    assert_eq!(a["interest"], "12300.00");
    let record = a["record_id"].as_i64().expect("linked to its record");
    assert!(
        by_no(&rows, "BH-2024-002")["record_id"].is_null(),
        "5 days late: no record"
    );
    let store = env.store();
    let r = store.record(record).unwrap();
    assert_eq!(r.state, RecordState::Draft);
    assert_eq!(r.category, "PAYMENT_ARREARS");
    assert_eq!(r.subject_name, "天津市滨海新区财政局");
    assert!(r.facts.contains("BH-2024-001"), "{}", r.facts);
    assert!(
        r.facts.contains("尚有 600,000.00 元未付，已逾期 31 日"),
        "{}",
        r.facts
    );
    assert!(r.facts.contains("逾期利息 12,300.00 元"), "{}", r.facts);

    // Run again: nothing more.
    let o = env.run(&["tick", "--today", "2024-03-22"]);
    assert!(
        stdout(&o).contains("起草拖欠账款记录 0 条"),
        "{}",
        stdout(&o)
    );
    let o = env.run(&["audit", "verify"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));

    // The yearly disclosure of 2024: BH-2024-001 still owes 600,000 at its end.
    let o = env.run(&["commitments", "disclosure", "--year", "2024"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("天津市滨海新区财政局\t1\t600,000.00"),
        "{}",
        stdout(&o)
    );
    let xlsx = env.path("disclosure.xlsx");
    let o = env.run(&[
        "commitments",
        "disclosure",
        "--year",
        "2024",
        "--out",
        xlsx.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    let o = env.run(&["commitments", "disclosure", "--year", "2099"]);
    assert_ne!(code(&o), 0, "a year not over yet");

    let o = env.run(&[
        "commitments",
        "import",
        "/nonexistent/contracts.csv",
        "--kind",
        "procurement",
    ]);
    assert_eq!(code(&o), 2, "an unreadable file: {}", stderr(&o));
});
