//! `probity tick`: a record whose disclosure period has ended becomes 已到期 the next day, by the
//! system, journaled; a second run changes nothing; the chain still verifies.

use chrono::NaiveDate;
use probity_domain::audit::Entity;
use probity_domain::record::RecordState;
use probity_store::{Store, StoredRecord};

use super::*;

const DOC: &str = "津滨财采〔2025〕到期1号";

fn all_records(store: &Store) -> Vec<StoredRecord> {
    let mut out = Vec::new();
    store
        .export_since(0, |r| {
            out.push(r.record);
            Ok(())
        })
        .unwrap();
    out
}

/// The records a tick as of `day` must expire, counted here by plain date comparison: active,
/// and the period's end (the record's own date; the demo and the import keep it within the
/// category's maximum) before `day`.
fn due_on(store: &Store, day: NaiveDate) -> Vec<i64> {
    all_records(store)
        .into_iter()
        .filter(|r| r.state == RecordState::Active && r.disclosure_until < day)
        .map(|r| r.id)
        .collect()
}

both!(
    tick_expires_records_the_day_after_their_period_ends,
    |env| {
        let (uscc, name) = setup(env);
        // Decided 2025-03-05: the category's ordinary period ends on 2026-03-05.
        let csv = [
            HEADER.to_string(),
            row(&name, &uscc, DOC, "2025-03-05", "政府采购毁约违约"),
        ]
        .join("\n");
        let file = env.write("expiring.csv", csv.as_bytes());
        let o = env.run(&[
            "records",
            "import",
            file.to_str().unwrap(),
            "--provider",
            "区财政局",
            "--activate",
            "--json",
        ]);
        assert_eq!(code(&o), 0, "{} {}", stdout(&o), stderr(&o));
        let store = env.store();
        let ours = all_records(&store)
            .into_iter()
            .find(|r| r.document_no == DOC)
            .unwrap();
        assert_eq!(ours.disclosure_until.to_string(), "2026-03-05");

        // Its last day: it stays in force; whatever ended before goes.
        let last = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        let before = due_on(&store, last);
        assert!(!before.contains(&ours.id));
        let o = env.run(&["tick", "--today", "2026-03-05"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(
            stdout(&o).contains(&format!(
                "截至 2026-03-05：公示期满转为已到期的记录 {} 条",
                before.len()
            )),
            "{}",
            stdout(&o)
        );
        assert_eq!(store.record(ours.id).unwrap().state, RecordState::Active);
        for id in &before {
            assert_eq!(store.record(*id).unwrap().state, RecordState::Expired);
        }

        // The day after: it expires, by the system, journaled with its last day.
        let next = NaiveDate::from_ymd_opt(2026, 3, 6).unwrap();
        let due = due_on(&store, next);
        assert_eq!(
            due,
            vec![ours.id],
            "only ours is left to expire on that day"
        );
        let o = env.run(&["tick", "--today", "2026-03-06"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(stdout(&o).contains("已到期的记录 1 条"), "{}", stdout(&o));
        let now = store.record(ours.id).unwrap();
        assert_eq!(now.state, RecordState::Expired);
        let history = store.history(Entity::Record, &ours.id.to_string()).unwrap();
        let entry = history.last().unwrap();
        assert_eq!(entry.action, "expire");
        assert_eq!(entry.actor, "system:expiry");
        assert_eq!(entry.action_label(), "公示期满");
        assert!(entry.detail.contains("2026-03-05"), "{}", entry.detail);

        // Again: nothing left to do, nothing journaled.
        let head = store.head_seq().unwrap();
        let o = env.run(&["tick", "--today", "2026-03-06"]);
        assert!(stdout(&o).contains("已到期的记录 0 条"), "{}", stdout(&o));
        assert_eq!(store.head_seq().unwrap(), head);

        let o = env.run(&["audit", "verify"]);
        assert_eq!(code(&o), 0, "{}", stdout(&o));

        // A day that is not one is refused, in Chinese, and changes nothing.
        let o = env.run(&["tick", "--today", "2026-13-02"]);
        assert_eq!(code(&o), 2, "{}", stderr(&o));
        assert!(stderr(&o).contains("日期"), "{}", stderr(&o));
        assert_eq!(store.head_seq().unwrap(), head);
    }
);
