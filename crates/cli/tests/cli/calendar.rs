//! `probity calendar`: deadlines counted on the shipped State Council years; a year imported by
//! the credit office replaces that year whole, is journaled and verifies; a file with problems
//! is refused with every problem and its row, nothing saved; a year without data is refused.

use super::*;

both!(calendar_add_counts_working_days_across_holidays, |env| {
    // 2026: 国庆 1–7 October off, Saturday 10 October worked.
    for (date, n, want) in [
        ("2026-09-30", "1", "2026-10-08"),
        ("2026-09-30", "3", "2026-10-10"),
        ("2026-09-30", "0", "2026-09-30"),
        ("2026/12/31", "1", "2027-01-04"),
    ] {
        let o = env.run(&["calendar", "add", date, n]);
        if want.starts_with("2027") {
            // 2027 is not shipped: refused rather than guessed.
            assert_eq!(code(&o), 1, "{}", stdout(&o));
            assert!(
                stderr(&o).contains("2027 年的工作日历尚未维护"),
                "{}",
                stderr(&o)
            );
            continue;
        }
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_eq!(stdout(&o).trim(), want, "{date} + {n}");
    }
    let o = env.run(&["calendar", "add", "2026-02-30", "1"]);
    assert_eq!(code(&o), 2, "a date that does not exist is a usage error");
});

both!(
    calendar_import_replaces_a_year_and_refuses_bad_files_whole,
    |env| {
        let bad = env.write(
        "bad.csv",
        "日期,类型,名称\n2027-01-01,放假,元旦\n2027-03-03,上班,不是周末\n下周一,放假,\n2027-01-01,放假,重复\n"
            .as_bytes(),
    );
        let o = env.run(&["calendar", "import", bad.to_str().unwrap()]);
        assert_eq!(code(&o), 3, "{}", stderr(&o));
        let err = stderr(&o);
        for line in [
            "第 3 行：2027-03-03 是工作日",
            "第 4 行：",
            "第 5 行：2027-01-01 重复列出",
        ] {
            assert!(err.contains(line), "{line} missing from: {err}");
        }
        let store = env.store();
        assert!(store.calendar_years().unwrap().is_empty(), "nothing saved");

        // The 2027 notice as a department might type it, GBK from Excel on Windows.
        let good = "日期,类型,名称\r\n2027/1/1,放假,元旦\r\n2027-02-06,放假,春节\r\n2027年2月7日,上班,春节调休\r\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(good);
        let file = env.write("2027.csv", &gbk);
        let o = env.run(&["calendar", "import", file.to_str().unwrap()]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(stdout(&o).contains("2027 年，共 3 个"), "{}", stdout(&o));
        // Friday 2027-02-05 + 1: Saturday 6 off (listed), Sunday 7 worked.
        let o = env.run(&["calendar", "add", "2027-02-05", "1"]);
        assert_eq!(stdout(&o).trim(), "2027-02-07");
        let o = env.run(&["calendar", "show", "2027"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(
            stdout(&o).contains("2027-02-07\t星期日\t上班\t春节调休"),
            "{}",
            stdout(&o)
        );
        assert!(stdout(&o).contains("信用办维护"), "{}", stdout(&o));
        // Again: nothing changes, nothing journaled.
        let head = store.head_seq().unwrap();
        let o = env.run(&["calendar", "import", file.to_str().unwrap()]);
        assert!(stdout(&o).contains("未改动"), "{}", stdout(&o));
        assert_eq!(store.head_seq().unwrap(), head);
        // Another import of 2027 replaces it whole.
        let file = env.write("2027b.csv", "日期,类型\n2027-01-01,放假\n".as_bytes());
        assert_eq!(
            code(&env.run(&["calendar", "import", file.to_str().unwrap()])),
            0
        );
        let o = env.run(&["calendar", "add", "2027-02-05", "1"]);
        assert_eq!(stdout(&o).trim(), "2027-02-08");
        let o = env.run(&["calendar", "show"]);
        assert!(stdout(&o).starts_with("2027\t"), "{}", stdout(&o));
        assert!(stdout(&o).contains("2026\t工作日 248 天"), "{}", stdout(&o));
        let o = env.run(&["audit", "verify"]);
        assert_eq!(code(&o), 0, "{}", stdout(&o));
    }
);
