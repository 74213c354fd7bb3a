//! The assessment's facts (`Store::assessment_facts`): who each record and case counts for —
//! the unit it is about, the unit of a civil servant it is about, the successor of a merged unit,
//! the provider that reported it — over the period's year only; the scores given by hand saved
//! once per unit, period and indicator, journaled; a period closed with a signed snapshot.

use probity_domain::assessment::{EntryStage, Period, PeriodKind, Points};
use probity_store::{NewAttachment, NewEntry, Store};

use crate::common::*;

store_tests! {
    facts_count_for_the_unit_its_staff_and_its_successor => facts_count_for_the_unit_its_staff_and_its_successor_sqlite, facts_count_for_the_unit_its_staff_and_its_successor_postgres;
    scores_are_one_per_indicator_and_a_close_is_signed => scores_are_one_per_indicator_and_a_close_is_signed_sqlite, scores_are_one_per_indicator_and_a_close_is_signed_postgres;
    a_scores_evidence_is_kept_with_its_digest => a_scores_evidence_is_kept_with_its_digest_sqlite, a_scores_evidence_is_kept_with_its_digest_postgres;
}

fn year_end(year: i32) -> Period {
    Period::new(year, PeriodKind::YearEnd).unwrap()
}

fn facts_count_for_the_unit_its_staff_and_its_successor(store: &Store) {
    let fx = fixture(store);
    let mut on_town = unit_record(&fx.township, "PROCUREMENT_BREACH", "考1号");
    on_town.severity = "严重".into();
    let on_court = unit_record(&fx.court, "PROCUREMENT_BREACH", "考2号");
    let mut last_year = unit_record(&fx.township, "PROCUREMENT_BREACH", "考3号");
    last_year.decided_on = "2024-11-20".into();
    let on_person = person_record("ADMIN_PENALTY", "考4号");
    for o in import(
        store,
        &fx.finance,
        true,
        &[on_town, on_court, last_year, on_person],
    ) {
        accepted(&o);
    }
    // Waiting for review: not counted.
    import(
        store,
        &fx.finance,
        false,
        &[unit_record(&fx.township, "PROCUREMENT_BREACH", "考5号")],
    );
    // The court is merged into the finance bureau: its record counts for the bureau.
    store
        .link_successor(fx.court.id, fx.finance.id, "信用办:admin", "机构改革")
        .unwrap();

    let facts = store.assessment_facts(year_end(2025)).unwrap();
    let of = |id: i64| facts.iter().find(|f| f.unit_id == id);
    assert!(of(fx.court.id).is_none(), "a merged unit is not assessed");
    assert!(
        of(fx.gov.id).is_none(),
        "the district government is not assessed"
    );
    let town = of(fx.township.id).unwrap();
    let docs: Vec<&str> = town
        .records
        .iter()
        .map(|r| r.document_no.as_str())
        .collect();
    assert_eq!(docs, ["考1号"], "this year's, activated only");
    assert_eq!(
        town.records[0].severity,
        Some(probity_domain::catalog::Severity::Grave)
    );
    assert!(!town.is_provider);
    let finance = of(fx.finance.id).unwrap();
    let docs: Vec<&str> = finance
        .records
        .iter()
        .map(|r| r.document_no.as_str())
        .collect();
    assert_eq!(docs, ["考2号"], "the predecessor's record");
    let staff: Vec<&str> = finance
        .staff_records
        .iter()
        .map(|r| r.document_no.as_str())
        .collect();
    assert_eq!(staff, ["考4号"], "its civil servant's record");
    assert_eq!(finance.staff_records[0].subject_name, PERSON);
    assert!(finance.is_provider);
    assert_eq!(finance.reports.len(), 3, "the year's reports it made");
    assert!(
        store
            .assessment_facts(year_end(2024))
            .unwrap()
            .iter()
            .all(|f| f.reports.len() <= 1)
    );
}

fn scores_are_one_per_indicator_and_a_close_is_signed(store: &Store) {
    let fx = fixture(store);
    let p = year_end(2025);
    let entry = |points: i64, comment: &'static str| NewEntry {
        period: p,
        unit_id: fx.township.id,
        indicator: "D1.01",
        stage: EntryStage::Scored,
        points: Points::whole(points),
        claimed: None,
        comment,
    };
    let first = store
        .write(|tx| {
            tx.assessments()
                .save_entry(&entry(3, "缺一项程序"), "admin:xinyongban")
        })
        .unwrap();
    let second = store
        .write(|tx| {
            tx.assessments()
                .save_entry(&entry(4, "补正后满分"), "admin:xinyongban")
        })
        .unwrap();
    assert_eq!(first, second, "one entry per unit, period and indicator");
    let entries = store.assessment_entries_of(p, fx.township.id).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].entry.points, Points::whole(4));
    assert_eq!(entries[0].entry.comment, "补正后满分");
    let history = store
        .history(
            probity_domain::audit::Entity::Assessment,
            &format!("2025/year_end/{}/D1.01", fx.township.id),
        )
        .unwrap();
    let actions: Vec<&str> = history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, ["create", "update"]);

    assert!(store.assessment_period(p).unwrap().is_none());
    store
        .write(|tx| {
            assert!(!tx.assessments().is_closed(p)?);
            tx.assessments()
                .close(p, "{\"units\":[]}", "admin:xinyongban")
        })
        .unwrap();
    let closed = store.assessment_period(p).unwrap().unwrap();
    assert!(closed.closed);
    assert!(store.assessment_snapshot_is_authentic(&closed).unwrap());
    let mut forged = closed.clone();
    forged.snapshot = "{\"units\":[1]}".into();
    assert!(!store.assessment_snapshot_is_authentic(&forged).unwrap());
    store
        .write(|tx| tx.assessments().reopen(p, "单位申诉", "admin:xinyongban"))
        .unwrap();
    let reopened = store.assessment_period(p).unwrap().unwrap();
    assert!(!reopened.closed);
    assert_eq!(reopened.reopen_reason.as_deref(), Some("单位申诉"));
    assert_eq!(
        store.verify().unwrap().problem,
        None,
        "the journal chain holds"
    );
}

fn a_scores_evidence_is_kept_with_its_digest(store: &Store) {
    let fx = fixture(store);
    let p = year_end(2025);
    let new = NewEntry {
        period: p,
        unit_id: fx.township.id,
        indicator: "D4.04",
        stage: EntryStage::SelfAssessed,
        points: Points::whole(4),
        claimed: None,
        comment: "承诺已兑现",
    };
    let pdf = b"%PDF-1.4\n%%EOF\n".to_vec();
    let file = |name: &str| NewAttachment {
        file_name: name.into(),
        kind: "pdf".into(),
        bytes: pdf.clone(),
    };
    let ids = store
        .write(|tx| {
            let entry = tx.assessments().save_entry(&new, "unit:xinhe")?;
            let ids = tx.assessments().add_evidence(
                entry,
                &new,
                vec![file("台账.pdf"), file("照片.pdf")],
                "unit:xinhe",
            )?;
            assert_eq!(tx.assessments().evidence_count(entry)?, 2);
            Ok::<_, probity_store::StoreError>(ids)
        })
        .unwrap();
    assert_eq!(ids.len(), 2);
    let listed = store.assessment_evidence(p, fx.township.id).unwrap();
    let names: Vec<&str> = listed.iter().map(|f| f.file_name.as_str()).collect();
    assert_eq!(names, ["台账.pdf", "照片.pdf"]);
    assert_eq!(
        (listed[0].period, listed[0].indicator.as_str()),
        (p, "D4.04")
    );
    assert!(
        store
            .assessment_evidence(p, fx.court.id)
            .unwrap()
            .is_empty()
    );
    let (meta, bytes) = store.assessment_evidence_file(ids[0]).unwrap();
    assert_eq!((meta.size, bytes), (pdf.len() as i64, pdf));
    assert_eq!(
        store.verify().unwrap().problem,
        None,
        "the journal chain holds"
    );

    // A byte of the file changed: reading it says so.
    store
        .raw_exec(&format!(
            "UPDATE assessment_evidence SET content = {} WHERE id = {}",
            if store.dialect() == probity_store::Dialect::Postgres {
                "'\\x25504446'::bytea"
            } else {
                "X'25504446'"
            },
            ids[0]
        ))
        .unwrap();
    assert!(store.assessment_evidence_file(ids[0]).is_err());
    assert!(store.assessment_evidence_file(ids[1]).is_ok());
}
