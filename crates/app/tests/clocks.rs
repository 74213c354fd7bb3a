//! The daily clocks run on one node at a time: while the lease is held (another node's round, or
//! a `probity tick` from cron), a round is refused with `CLOCKS_BUSY` and changes nothing; once
//! it is given back, or has run out, the next round runs.

use chrono::NaiveDate;
use probity_app::{App, AppError, Clock};
use probity_testkit::{backends, roster};

#[test]
fn one_node_runs_the_clocks_at_a_time() {
    for ts in backends("app_clock_lease") {
        let name = ts.name;
        roster::binhai(&ts.store);
        let today = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
        let app = App::new(ts.store.clone(), Clock::on_beijing_day(today));
        let now = app.now().timestamp();

        // A round runs, and gives the lease back: the next one runs too.
        probity_app::tick::run(&app, today).unwrap();
        probity_app::tick::run(&app, today).unwrap();

        // Another node holds it: refused, nothing written.
        assert!(ts.store.claim_lease("clocks.lease", now, now + 60).unwrap());
        let head = ts.store.head_seq().unwrap();
        match probity_app::tick::run(&app, today) {
            Err(AppError::Invalid { code, message }) => {
                assert_eq!(code, "CLOCKS_BUSY", "[{name}]");
                assert!(message.contains("另一节点"), "[{name}] {message}");
            }
            other => panic!("[{name}] {other:?}"),
        }
        assert_eq!(ts.store.head_seq().unwrap(), head, "[{name}]");
        assert!(
            !ts.store.claim_lease("clocks.lease", now, now + 60).unwrap(),
            "[{name}] held"
        );

        // Its lease runs out (the node stopped): the clocks run again.
        app.clock().set(app.now() + chrono::TimeDelta::seconds(61));
        probity_app::tick::run(&app, today).unwrap();
    }
}
