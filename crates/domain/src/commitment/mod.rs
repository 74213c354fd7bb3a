//! Keeping promises (守信践诺): the registry of what government bodies promised, with a clock that
//! tells, as of a day, whether each promise is open, due soon, overdue, kept or broken, and when a
//! breach becomes a draft record. One engine; each kind of promise is a module with its own rule,
//! its thresholds as data.
//!
//! - `money`: amounts in 元 held as 分 (integers; no floating point in money), daily rates.
//! - `procurement`: government procurement contracts and their payments (保障中小企业款项支付条例,
//!   国务院令第802号): the due date, the late interest, the grace before a `PAYMENT_ARREARS`
//!   draft.

pub mod money;
pub mod procurement;

use serde::Serialize;

/// The kinds of promise the registry keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 政府采购合同履约 (task 13): a purchaser pays a supplier within the term.
    Procurement,
}

impl Kind {
    pub const ALL: [Kind; 1] = [Kind::Procurement];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Procurement => "procurement",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Procurement => "政府采购合同",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == s.trim())
    }
}

/// Where a promise stands as of a day. Computed from its facts and the day, never stored: the
/// same facts read on another day may stand elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Not yet due (or not yet started: a contract not yet delivered).
    Open,
    /// Due within the warning window (预警).
    DueSoon,
    /// Past its due date, not kept, still within the grace before a record is drafted.
    Overdue,
    /// Kept in full by its due date.
    Kept,
    /// Not kept: kept late, or still not kept once the grace has passed.
    Broken,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Open,
        State::DueSoon,
        State::Overdue,
        State::Kept,
        State::Broken,
    ];

    pub fn code(self) -> &'static str {
        match self {
            State::Open => "open",
            State::DueSoon => "due_soon",
            State::Overdue => "overdue",
            State::Kept => "kept",
            State::Broken => "broken",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Open => "履行中",
            State::DueSoon => "即将到期",
            State::Overdue => "已逾期",
            State::Kept => "按期履行",
            State::Broken => "违约",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        let s = s.trim();
        State::ALL
            .into_iter()
            .find(|k| k.code() == s || k.label() == s)
    }
}

/// The days a list of promises is read against: today, the last day of the warning window (the
/// caller counts it in working days on the calendar), and the grace before a breach is drafted.
/// A store filters by state with these dates alone, the same way `State` is computed here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub today: chrono::NaiveDate,
    /// A promise due on or before this day (and not before today) is due soon.
    pub warn_until: chrono::NaiveDate,
    /// Calendar days past the due date before a breach is drafted as a record.
    pub grace_days: u32,
}

impl Window {
    /// The last due date whose promise, still unkept today, is past the grace: due before this
    /// day minus the grace.
    pub fn grace_cutoff(&self) -> chrono::NaiveDate {
        self.today - chrono::Days::new(u64::from(self.grace_days))
    }
}
