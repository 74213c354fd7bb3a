//! What the platform knows about one unit that the computed indicators read (考核数据): its
//! dishonest records and its civil servants', the rectifications it owed, the complaints and
//! objections it answered, the records it reported. Plain data, read by the app from the store
//! for the period's year; the metric modules pick what falls in the period.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::catalog::Severity;
use crate::subject::SubjectKind;

/// A dishonest record (政务失信记录) that stands: not revoked, not a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordItem {
    pub id: i64,
    pub severity: Option<Severity>,
    pub decided_on: NaiveDate,
    /// The document number (文书号), to name the record on the score page.
    pub document_no: String,
    /// The subject's name as the record gives it (the civil servant's, for staff records).
    pub subject_name: String,
}

/// A unit's turn on a case with a deadline: a rectification it owed, a complaint or an objection
/// it answered. `due` is the unit's own deadline; `closed_on` the day it handed the case on (its
/// report filed, its answer given) or the case closed; a turn that was returned to it is a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseItem {
    pub id: i64,
    /// The deadline as it stands.
    pub due: NaiveDate,
    /// The Beijing date it was closed on, if it was.
    pub closed_on: Option<NaiveDate>,
    /// Whether the deadline ever passed while it was open.
    pub overdue_ever: bool,
    /// Closed as withdrawn or lapsed: not the unit's to count.
    pub void: bool,
}

impl CaseItem {
    /// Closed by its deadline and never overdue.
    pub fn on_time(&self) -> bool {
        !self.overdue_ever && self.closed_on.is_some_and(|c| c <= self.due)
    }

    /// Overdue as seen on `day`: it went overdue, was closed late, or is open past its due date.
    pub fn overdue_on(&self, day: NaiveDate) -> bool {
        self.overdue_ever
            || match self.closed_on {
                Some(c) => c > self.due,
                None => day > self.due,
            }
    }
}

/// A complaint (投诉举报) the unit answered: its turn on the case, and the complainant's
/// rating when the unit gave the last answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplaintItem {
    pub case: CaseItem,
    /// The complainant's rating, 1–5, of the answer this turn gave.
    pub rating: Option<u8>,
}

/// A record the unit reported as a providing department (its decision and when it arrived).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportItem {
    pub record_id: i64,
    pub decided_on: NaiveDate,
    /// The Beijing date it first reached the platform.
    pub first_seen: NaiveDate,
}

/// Everything about one unit that its computed indicators and its vetoes read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitFacts {
    pub unit_id: i64,
    pub name: String,
    pub kind: SubjectKind,
    /// A providing department (报送单位): the provider-only indicators apply.
    pub is_provider: bool,
    /// Dishonest records about the unit (and its predecessors).
    #[serde(default)]
    pub records: Vec<RecordItem>,
    /// Dishonest records about its civil servants.
    #[serde(default)]
    pub staff_records: Vec<RecordItem>,
    #[serde(default)]
    pub rectifications: Vec<CaseItem>,
    #[serde(default)]
    pub complaints: Vec<ComplaintItem>,
    /// Complaints about the unit closed as 属实 or 部分属实 (`closed_on` is the day it closed).
    #[serde(default)]
    pub upheld_complaints: Vec<CaseItem>,
    /// Objections it answered as the providing department.
    #[serde(default)]
    pub objections: Vec<CaseItem>,
    /// Records it reported.
    #[serde(default)]
    pub reports: Vec<ReportItem>,
}

impl UnitFacts {
    /// A unit with no data yet.
    pub fn empty(unit_id: i64, name: impl Into<String>, kind: SubjectKind) -> UnitFacts {
        UnitFacts {
            unit_id,
            name: name.into(),
            kind,
            is_provider: false,
            records: Vec::new(),
            staff_records: Vec::new(),
            rectifications: Vec::new(),
            complaints: Vec::new(),
            upheld_complaints: Vec::new(),
            objections: Vec::new(),
            reports: Vec::new(),
        }
    }
}
