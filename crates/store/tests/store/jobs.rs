//! Jobs in the store: an uploaded file staged with its owner, claimed by one node only (of two
//! claims, however close, one wins), its progress renewing the lease and its end written only by
//! the node holding it, finished with its outcome and rejected rows (its file then gone), given
//! back to waiting, file intact, when the node holding it stopped and its lease ran out, and no
//! more than so many files left waiting by one owner; on SQLite and PostgreSQL.

use crate::common::*;
use chrono::TimeDelta;
use probity_domain::account::AccountRole;
use probity_store::jobs::MAX_WAITING_PER_OWNER;
use probity_store::{Clock, JobState, NewJob, Store, StoreError};

store_tests! {
    a_job_is_claimed_once_reports_progress_and_finishes => jobs_sqlite, jobs_postgres;
    a_job_whose_node_stopped_waits_again_with_its_file => jobs_lapsed_sqlite, jobs_lapsed_postgres;
}

const LEASE: TimeDelta = TimeDelta::minutes(2);

fn owner(store: &Store) -> i64 {
    store
        .create_account(
            "jobs_owner",
            AccountRole::Hr,
            None,
            "Zhengwu-2026-chengxin",
            "cli:test",
        )
        .unwrap()
        .id
}

fn new_job(owner: i64, id: &str) -> NewJob<'_> {
    NewJob {
        id,
        kind: "records_upload",
        owner_id: owner,
        file_name: "付款记录.csv",
        provider: "区财政局",
        state: JobState::Ready,
        input: "主体名称\n新河街道\n".as_bytes().to_vec(),
    }
}

fn a_job_is_claimed_once_reports_progress_and_finishes(store: &Store) {
    let me = owner(store);
    store.stage_job(new_job(me, "j1")).unwrap();
    let j = store.job("j1").unwrap().unwrap();
    assert_eq!(
        (j.state, j.owner_id, j.has_errors),
        (JobState::Ready, me, false)
    );
    assert_eq!(store.jobs_of(me, 10).unwrap().len(), 1);
    assert_eq!(
        store.job_input("j1").unwrap().unwrap(),
        "主体名称\n新河街道\n".as_bytes()
    );
    // Someone else's job, or the wrong kind, is not claimed.
    assert!(
        store
            .claim_job("j1", me + 1, "records_upload", "n1", LEASE)
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .claim_job("j1", me, "roster_upload", "n1", LEASE)
            .unwrap()
            .is_none()
    );
    // Two nodes claim at once: one gets it.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| {
            store
                .claim_job("j1", me, "records_upload", "n1", LEASE)
                .unwrap()
        });
        let b = s.spawn(|| {
            store
                .claim_job("j1", me, "records_upload", "n2", LEASE)
                .unwrap()
        });
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(a.is_some() as u8 + b.is_some() as u8, 1, "{a:?} {b:?}");
    let (winner, loser) = if a.is_some() {
        ("n1", "n2")
    } else {
        ("n2", "n1")
    };
    // Only the node holding the job reports on it or ends it.
    assert!(
        !store
            .job_progress("j1", loser, r#"{"done":9}"#, LEASE)
            .unwrap()
    );
    assert!(
        store
            .job_progress("j1", winner, r#"{"done":5}"#, LEASE)
            .unwrap()
    );
    assert_eq!(
        store.job("j1").unwrap().unwrap().progress.as_deref(),
        Some(r#"{"done":5}"#)
    );
    assert!(
        !store
            .finish_job("j1", loser, JobState::Failed, "x", None)
            .unwrap()
    );
    let errors = Some(b"xlsx".to_vec());
    assert!(
        store
            .finish_job("j1", winner, JobState::Done, r#"{"accepted":1}"#, errors)
            .unwrap()
    );
    let j = store.job("j1").unwrap().unwrap();
    assert_eq!((j.state, j.has_errors), (JobState::Done, true));
    assert_eq!(j.outcome.as_deref(), Some(r#"{"accepted":1}"#));
    assert_eq!(store.job_errors("j1").unwrap().unwrap(), b"xlsx");
    assert!(
        store.job_input("j1").unwrap().is_none(),
        "the file goes once imported"
    );
    assert!(
        store
            .claim_job("j1", me, "records_upload", "n1", LEASE)
            .unwrap()
            .is_none()
    );

    // An owner may leave only so many files waiting; a refusal stores nothing.
    let ids: Vec<String> = (0..MAX_WAITING_PER_OWNER)
        .map(|i| format!("w{i}"))
        .collect();
    for id in &ids {
        store.stage_job(new_job(me, id)).unwrap();
    }
    let refused = store.stage_job(new_job(me, "one-too-many"));
    assert!(
        matches!(&refused, Err(StoreError::Domain(d)) if d.code == probity_domain::Code::RateLimited),
        "{refused:?}"
    );
    assert!(store.job("one-too-many").unwrap().is_none());
}

fn a_job_whose_node_stopped_waits_again_with_its_file(store: &Store) {
    let clock = Clock::on_beijing_day(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
    let store = store.with_clock(clock.clone());
    let me = owner(&store);
    store.stage_job(new_job(me, "j2")).unwrap();
    store
        .claim_job("j2", me, "records_upload", "gone", LEASE)
        .unwrap()
        .unwrap();
    // Within its lease the job stays with its node.
    clock.advance(TimeDelta::seconds(90));
    assert_eq!(store.release_lapsed_jobs().unwrap(), 0);
    assert_eq!(store.job("j2").unwrap().unwrap().state, JobState::Running);
    // Past it, the job waits again, its file still there, with a note why.
    clock.advance(TimeDelta::seconds(60));
    assert_eq!(store.release_lapsed_jobs().unwrap(), 1);
    let j = store.job("j2").unwrap().unwrap();
    assert_eq!(j.state, JobState::Ready);
    assert!(j.outcome.unwrap().contains("中断"));
    assert!(store.job_input("j2").unwrap().is_some());
    assert!(
        store
            .claim_job("j2", me, "records_upload", "n2", LEASE)
            .unwrap()
            .is_some()
    );
    // The stopped node, back, cannot write over the new run.
    assert!(
        !store
            .finish_job("j2", "gone", JobState::Done, "{}", None)
            .unwrap()
    );
    assert_eq!(store.job("j2").unwrap().unwrap().state, JobState::Running);
    // Files left waiting for a week go when the next upload is staged.
    store
        .finish_job("j2", "n2", JobState::Done, "{}", None)
        .unwrap();
    store.stage_job(new_job(me, "old")).unwrap();
    clock.advance(TimeDelta::days(8));
    store.stage_job(new_job(me, "new")).unwrap();
    assert!(store.job("old").unwrap().is_none());
    assert!(store.job("new").unwrap().is_some());
    assert!(store.job("j2").unwrap().is_some(), "finished jobs are kept");
}
