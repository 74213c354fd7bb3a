//! Credit checks asked at the same moment share the log's commits (a group commit), and none is
//! lost or numbered twice: every answer's number is in the log, once, with the check it answered.

use std::collections::HashSet;

use chrono::NaiveDate;
use probity_app::{Actor, App, Clock};
use probity_domain::account::AccountRole;
use probity_domain::authz::Reach;
use probity_testkit::accounts::Accounts;
use probity_testkit::{backends, roster};

#[test]
fn checks_asked_at_once_are_each_logged_once_with_their_own_number() {
    for ts in backends("app_check_log") {
        let name = ts.name;
        roster::binhai(&ts.store);
        let today = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        let app = App::new(ts.store.clone(), Clock::on_beijing_day(today));
        let accounts = Accounts::create(&ts.store, "chk", &[AccountRole::Hr]);
        let actor = Actor::new(accounts.account(&ts.store, AccountRole::Hr), Reach::All);
        let subjects: Vec<i64> = ts.store.subjects().unwrap().iter().map(|s| s.id).collect();
        assert!(subjects.len() >= 4, "[{name}]");

        const THREADS: usize = 6;
        const EACH: usize = 15;
        let answers: Vec<(String, i64)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..THREADS)
                .map(|t| {
                    let (app, actor, subjects) = (&app, &actor, &subjects);
                    scope.spawn(move || {
                        (0..EACH)
                            .map(|i| {
                                let subject = subjects[(t * EACH + i) % subjects.len()];
                                let c = probity_app::sanctions::check(
                                    app,
                                    actor,
                                    &subject.to_string(),
                                    "honour",
                                    2026,
                                )
                                .unwrap();
                                (c.check_no, subject)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });

        assert_eq!(answers.len(), THREADS * EACH, "[{name}]");
        let numbers: HashSet<&str> = answers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            numbers.len(),
            answers.len(),
            "[{name}] a number given twice"
        );
        let mut logged = 0;
        for &subject in &subjects {
            for c in ts.store.sanction_checks(subject).unwrap() {
                assert!(
                    answers.contains(&(c.check_no.clone(), subject)),
                    "[{name}] {} logged for the wrong subject or never answered",
                    c.check_no
                );
                assert!(
                    c.check_no.starts_with("HC20260615-"),
                    "[{name}] {}",
                    c.check_no
                );
                logged += 1;
            }
        }
        assert_eq!(logged, answers.len(), "[{name}] checks logged");
    }
}
