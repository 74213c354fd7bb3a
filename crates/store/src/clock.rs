//! The platform's one clock. Every layer that needs "now" or "today" asks the clock it was given
//! (the store, the use cases in `probity_app`, the web layer), never the system directly, so that
//! a test can set the date instead of sleeping, and "today" is always the Beijing calendar day.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};

/// A source of the current time: the system's, or a fixed one a test sets and moves.
#[derive(Clone)]
pub struct Clock(Arc<Source>);

enum Source {
    System,
    Fixed(Mutex<DateTime<Utc>>),
}

impl Clock {
    /// The system's clock (what `serve` and the CLI run on).
    pub fn system() -> Clock {
        Clock(Arc::new(Source::System))
    }

    /// A clock that stands at `at` until it is set or advanced.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock(Arc::new(Source::Fixed(Mutex::new(at))))
    }

    /// A fixed clock at 10:00 Beijing time on `day`.
    pub fn on_beijing_day(day: NaiveDate) -> Clock {
        let at = day
            .and_hms_opt(10, 0, 0)
            .expect("10:00 exists on every day")
            .and_local_timezone(probity_domain::date::beijing())
            .single()
            .expect("UTC+8 has no gaps")
            .with_timezone(&Utc);
        Clock::fixed(at)
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        match &*self.0 {
            Source::System => Utc::now(),
            Source::Fixed(at) => *at.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Today, as a Beijing calendar day: what decides whether a record's disclosure has ended.
    pub fn today(&self) -> NaiveDate {
        probity_domain::date::beijing_date(self.now())
    }

    /// Moves a fixed clock to `at` (a system clock cannot be set: this does nothing to it).
    pub fn set(&self, at: DateTime<Utc>) {
        if let Source::Fixed(t) = &*self.0 {
            *t.lock().unwrap_or_else(|e| e.into_inner()) = at;
        }
    }

    /// Moves a fixed clock forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        if let Source::Fixed(t) = &*self.0 {
            let mut t = t.lock().unwrap_or_else(|e| e.into_inner());
            *t += by;
        }
    }

    /// Whether this is the system's clock.
    pub fn is_system(&self) -> bool {
        matches!(&*self.0, Source::System)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.0 {
            Source::System => f.write_str("Clock::system"),
            Source::Fixed(_) => write!(f, "Clock::fixed({})", self.now()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_is_set_and_moved_and_its_day_is_beijings() {
        let day = NaiveDate::from_ymd_opt(2026, 5, 24).unwrap();
        let c = Clock::on_beijing_day(day);
        assert_eq!(c.today(), day);
        // 10:00 + 14 h = 00:00 the next day in Beijing, 16:00 UTC the same day.
        c.advance(chrono::Duration::hours(14));
        assert_eq!(c.today(), day.succ_opt().unwrap());
        assert_eq!(c.now().date_naive(), day);
        let shared = c.clone();
        shared.set(c.now() - chrono::Duration::days(1));
        assert_eq!(c.today(), day, "clones share the time");
        assert!(!c.is_system() && Clock::system().is_system());
    }
}
