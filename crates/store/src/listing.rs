//! Record lists: a filter, a total order and a cursor into it, and pages read without copying
//! their texts (`Store::visit_summaries`).

use std::borrow::Cow;

use chrono::NaiveDate;
use probity_domain::catalog::{RecordKind, Scope, Severity};
use probity_domain::record::RecordState;

use crate::Store;
use crate::db::{RowRef, Val, placeholders};
use crate::error::{StoreError, StoreResult};
use crate::records::{StoredRecord, record_select};

/// Which records a list shows. Every field narrows the list; `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub provider_id: Option<i64>,
    /// Only these records (a batch picked on a page).
    pub ids: Option<Vec<i64>>,
    pub subject_ids: Option<Vec<i64>>,
    pub state: Option<RecordState>,
    pub category: Option<String>,
    pub document_no: Option<String>,
    /// `Some(true)`: only drafts sent back (已退回); `Some(false)`: none of them.
    pub sent_back: Option<bool>,
    /// Only records whose disclosure ends on or before this day (公示即将到期).
    pub disclosure_until_by: Option<NaiveDate>,
    /// Only what a subject sees in its own file ([`RecordState::in_subject_file`]: no drafts,
    /// nothing still under review). Filtered in the database, so that a page of an assessed
    /// unit's file is full and its cursor never names a record the unit may not see.
    pub in_subject_file: bool,
    /// Only records about civil servants (the organisation department's view), of this unit
    /// when `civil_servants_of` names one. Filtered by a subquery, so that no list of people
    /// travels as parameters.
    pub civil_servants_only: bool,
    pub civil_servants_of: Option<i64>,
}

/// The order a record list is read in. Every order is total (ties broken by id), so a cursor
/// names one place in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordOrder {
    /// Newest first, by id: the default.
    #[default]
    Newest,
    /// Oldest first, by id: the review queue, first come first served.
    Oldest,
    /// Latest decision date (决定日期) first, newest first within a day.
    Decided,
}

impl RecordOrder {
    pub const ALL: [RecordOrder; 3] = [
        RecordOrder::Newest,
        RecordOrder::Oldest,
        RecordOrder::Decided,
    ];

    /// The stable code used in query strings (`sort=`).
    pub fn code(self) -> &'static str {
        match self {
            RecordOrder::Newest => "id_desc",
            RecordOrder::Oldest => "id_asc",
            RecordOrder::Decided => "decided_desc",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RecordOrder::Newest => "编号（新→旧）",
            RecordOrder::Oldest => "编号（旧→新）",
            RecordOrder::Decided => "决定日期（新→旧）",
        }
    }

    pub fn parse(code: &str) -> Option<RecordOrder> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    fn sql(self) -> &'static str {
        match self {
            RecordOrder::Newest => "ORDER BY id DESC",
            RecordOrder::Oldest => "ORDER BY id ASC",
            RecordOrder::Decided => "ORDER BY decided_on DESC, id DESC",
        }
    }
}

/// Where the next page of a list starts: just past the last record of the previous page, in the
/// list's order. Written into links as `id` or, for [`RecordOrder::Decided`], `date_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub order: RecordOrder,
    pub id: i64,
    /// The decision date of the last record, for [`RecordOrder::Decided`] only.
    pub decided_on: Option<String>,
}

impl Cursor {
    /// The cursor just past a record with this id and decision date.
    pub fn past(order: RecordOrder, id: i64, decided_on: &str) -> Cursor {
        Cursor {
            order,
            id,
            decided_on: (order == RecordOrder::Decided).then(|| decided_on.to_string()),
        }
    }

    /// Reads a cursor written by [`Cursor::encode`] for the same order; `None` if it is not one.
    pub fn parse(order: RecordOrder, text: &str) -> Option<Cursor> {
        let id_of = |s: &str| s.parse::<i64>().ok().filter(|id| *id > 0);
        match order {
            RecordOrder::Newest | RecordOrder::Oldest => Some(Cursor {
                order,
                id: id_of(text)?,
                decided_on: None,
            }),
            RecordOrder::Decided => {
                let (date, id) = text.split_once('_')?;
                let date = probity_domain::date::parse_date(date).ok()?;
                Some(Cursor {
                    order,
                    id: id_of(id)?,
                    decided_on: Some(probity_domain::date::format_date(date)),
                })
            }
        }
    }

    pub fn encode(&self) -> String {
        match &self.decided_on {
            Some(d) => format!("{d}_{}", self.id),
            None => self.id.to_string(),
        }
    }
}

/// What a list shows of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSummary {
    pub id: i64,
    pub subject_id: i64,
    pub subject_name: String,
    pub provider_id: i64,
    pub category: String,
    pub kind: RecordKind,
    pub document_no: String,
    pub decided_on: NaiveDate,
    pub severity: Option<Severity>,
    pub scope: Scope,
    pub disclosure_until: NaiveDate,
    pub state: RecordState,
    pub last_seq: i64,
    /// Sent back (已退回) with this reason, and not submitted again since.
    pub sent_back: Option<String>,
}

/// A record as a list reads it, lent by [`Store::visit_summaries`]: its texts borrow from the
/// database driver, so a page can be written out without copying them.
#[derive(Debug)]
pub struct SummaryRef<'a> {
    pub id: i64,
    pub subject_id: i64,
    pub subject_name: Cow<'a, str>,
    pub provider_id: i64,
    pub category: Cow<'a, str>,
    pub kind: RecordKind,
    pub document_no: Cow<'a, str>,
    pub decided_on: NaiveDate,
    pub severity: Option<Severity>,
    pub scope: Scope,
    pub disclosure_until: NaiveDate,
    pub state: RecordState,
    pub last_seq: i64,
    pub sent_back: Option<Cow<'a, str>>,
}

/// The columns `SummaryRef::read` expects.
const SUMMARY_COLS: &str = "id, subject_id, subject_name, provider_id, category, kind, document_no, \
    decided_on, severity, scope, disclosure_until, state, last_seq, sent_back_reason";

impl<'a> SummaryRef<'a> {
    fn read(r: &'a RowRef<'_>) -> StoreResult<SummaryRef<'a>> {
        let bad = |f: &str| StoreError::Internal(format!("records.{f}"));
        let int = |f: &str| r.int(f)?.ok_or_else(|| bad(f));
        let text = |f: &str| r.text(f)?.ok_or_else(|| bad(f));
        Ok(SummaryRef {
            id: int("id")?,
            subject_id: int("subject_id")?,
            subject_name: text("subject_name")?,
            provider_id: int("provider_id")?,
            category: text("category")?,
            kind: RecordKind::parse(&text("kind")?).map_err(|_| bad("kind"))?,
            document_no: text("document_no")?,
            decided_on: r.date("decided_on")?,
            severity: match r.text("severity")? {
                Some(s) => Some(Severity::parse(&s).map_err(|_| bad("severity"))?),
                None => None,
            },
            scope: Scope::parse(&text("scope")?).map_err(|_| bad("scope"))?,
            disclosure_until: r.date("disclosure_until")?,
            state: RecordState::parse(&text("state")?).map_err(|_| bad("state"))?,
            last_seq: r.int("last_seq")?.unwrap_or(0),
            sent_back: r.text("sent_back_reason")?,
        })
    }

    pub fn to_owned(&self) -> RecordSummary {
        RecordSummary {
            id: self.id,
            subject_id: self.subject_id,
            subject_name: self.subject_name.to_string(),
            provider_id: self.provider_id,
            category: self.category.to_string(),
            kind: self.kind,
            document_no: self.document_no.to_string(),
            decided_on: self.decided_on,
            severity: self.severity,
            scope: self.scope,
            disclosure_until: self.disclosure_until,
            state: self.state,
            last_seq: self.last_seq,
            sent_back: self.sent_back.as_deref().map(str::to_string),
        }
    }
}

/// The WHERE clause and parameters of a list; `None` when the filter can match nothing.
fn list_filter(f: &RecordFilter, at: Option<&Cursor>) -> Option<(String, Vec<Val>)> {
    let mut conds: Vec<String> = match f.sent_back {
        Some(true) => vec!["sent_back_reason IS NOT NULL".into()],
        Some(false) => vec!["sent_back_reason IS NULL".into()],
        None => Vec::new(),
    };
    let mut params: Vec<Val> = Vec::new();
    let mut push = |cond: &str, v: Val, params: &mut Vec<Val>| {
        params.push(v);
        conds.push(cond.replace('?', &format!("${}", params.len())));
    };
    if let Some(p) = f.provider_id {
        push("provider_id = ?", Val::Int(p), &mut params);
    }
    if let Some(s) = f.state {
        push("state = ?", Val::from(s.code()), &mut params);
    }
    if let Some(c) = &f.category {
        push("category = ?", Val::from(c.as_str()), &mut params);
    }
    if let Some(d) = f.disclosure_until_by {
        push(
            "disclosure_until <= ?",
            Val::from(d.to_string()),
            &mut params,
        );
    }
    if let Some(d) = &f.document_no {
        push("document_no = ?", Val::from(d.as_str()), &mut params);
    }
    if let Some(c) = at {
        match (c.order, &c.decided_on) {
            (RecordOrder::Oldest, _) => push("id > ?", Val::Int(c.id), &mut params),
            (RecordOrder::Decided, Some(d)) => {
                // `$D` is the date, `?` the id: two parameters in one condition.
                params.push(Val::from(d.as_str()));
                let date = format!("${}", params.len());
                push(
                    &"(decided_on < $D OR (decided_on = $D AND id < ?))".replace("$D", &date),
                    Val::Int(c.id),
                    &mut params,
                );
            }
            _ => push("id < ?", Val::Int(c.id), &mut params),
        }
    }
    // Fixed codes of the domain, not input: written into the statement.
    if f.in_subject_file {
        let shown: Vec<String> = RecordState::ALL
            .into_iter()
            .filter(|s| s.in_subject_file())
            .map(|s| format!("'{}'", s.code()))
            .collect();
        conds.push(format!("state IN ({})", shown.join(", ")));
    }
    if let Some(ids) = &f.ids {
        if ids.is_empty() {
            return None;
        }
        let first = params.len() + 1;
        params.extend(ids.iter().map(|i| Val::Int(*i)));
        conds.push(format!("id IN ({})", placeholders(first, ids.len())));
    }
    if let Some(ids) = &f.subject_ids {
        if ids.is_empty() {
            return None;
        }
        let first = params.len() + 1;
        params.extend(ids.iter().map(|i| Val::Int(*i)));
        conds.push(format!(
            "subject_id IN ({})",
            placeholders(first, ids.len())
        ));
    }
    if f.civil_servants_only {
        let of_unit = match f.civil_servants_of {
            Some(u) => {
                params.push(Val::Int(u));
                format!(" AND unit_id = ${}", params.len())
            }
            None => String::new(),
        };
        conds.push(format!(
            "subject_id IN (SELECT id FROM subjects WHERE kind = 'civil_servant'{of_unit})"
        ));
    }
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    Some((filter, params))
}

impl Store {
    /// A page of records in `order`, starting just past `at` (the previous page's cursor).
    pub fn list_records(
        &self,
        f: &RecordFilter,
        order: RecordOrder,
        at: Option<&Cursor>,
        limit: u32,
    ) -> StoreResult<Vec<StoredRecord>> {
        let Some((filter, params)) = list_filter(f, at) else {
            return Ok(Vec::new());
        };
        let sql = record_select(&format!(
            "{filter} {} LIMIT {}",
            order.sql(),
            limit.clamp(1, 500)
        ));
        let mut c = self.conn()?;
        c.query(&sql, &params)?
            .iter()
            .map(StoredRecord::from_row)
            .collect()
    }

    /// The same page as `list_records`, with only what a list shows: no long texts to read,
    /// copy and send.
    pub fn list_summaries(
        &self,
        f: &RecordFilter,
        order: RecordOrder,
        at: Option<&Cursor>,
        limit: u32,
    ) -> StoreResult<Vec<RecordSummary>> {
        let mut out = Vec::with_capacity(limit.clamp(1, 500) as usize);
        self.visit_summaries(f, order, at, limit, |r| {
            out.push(r.to_owned());
            Ok(())
        })?;
        Ok(out)
    }

    /// The page `list_summaries` reads, lent one record at a time to `visit`.
    pub fn visit_summaries(
        &self,
        f: &RecordFilter,
        order: RecordOrder,
        at: Option<&Cursor>,
        limit: u32,
        mut visit: impl FnMut(&SummaryRef<'_>) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let Some((filter, params)) = list_filter(f, at) else {
            return Ok(());
        };
        let sql = format!(
            "SELECT {SUMMARY_COLS} FROM records {filter} {} LIMIT {}",
            order.sql(),
            limit.clamp(1, 500)
        );
        let mut c = self.conn()?;
        c.for_each_ref(&sql, &params, |r| visit(&SummaryRef::read(r)?))
    }

    /// How many records match, counting no further than `cap` (a dashboard shows "cap+" rather
    /// than wait for a count over a million rows).
    pub fn count_records(&self, f: &RecordFilter, cap: u32) -> StoreResult<u64> {
        let Some((filter, params)) = list_filter(f, None) else {
            return Ok(0);
        };
        let mut c = self.conn()?;
        let n = c.query_int(
            &format!("SELECT COUNT(*) FROM (SELECT 1 FROM records {filter} LIMIT {cap}) AS capped"),
            &params,
        )?;
        Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }
}

/// What decides when an active record's disclosure ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivePeriod {
    pub id: i64,
    pub category: String,
    pub severity: Option<Severity>,
    pub decided_on: NaiveDate,
    pub disclosure_until: NaiveDate,
}

impl Store {
    /// The periods of the active records that may have ended before `today`: those whose own end
    /// date has passed, and those of each listed category and severity (`None`: none recorded)
    /// decided before its cut-off, where the maximum caps the period. A superset: the caller
    /// decides each exactly (`expiry::last_day`). Every read is an index range
    /// (`records_state_until`, `records_state_capped`), so that a day with nothing to expire
    /// reads next to nothing however many records are in force. Each record is visited once, in
    /// no particular order.
    pub fn visit_expirable_periods(
        &self,
        today: NaiveDate,
        decided_before: &[(String, Option<Severity>, NaiveDate)],
        mut visit: impl FnMut(ActivePeriod) -> StoreResult<()>,
    ) -> StoreResult<()> {
        let mut c = self.conn()?;
        let mut seen = std::collections::HashSet::new();
        const COLS: &str =
            "SELECT id, category, severity, decided_on, disclosure_until FROM records";
        let active = Val::from(RecordState::Active.code());
        let mut read = |r: &crate::db::RowRef<'_>| -> StoreResult<()> {
            let p = active_period(r)?;
            if seen.insert(p.id) {
                visit(p)?;
            }
            Ok(())
        };
        c.for_each_ref(
            &format!("{COLS} WHERE state = $1 AND disclosure_until < $2"),
            &[active.clone(), Val::from(today.to_string())],
            &mut read,
        )?;
        for (category, severity, before) in decided_before {
            let (cond, mut params) = match severity {
                Some(s) => ("severity = $3", vec![Val::from(s.code())]),
                None => ("severity IS NULL", Vec::new()),
            };
            params.splice(0..0, [active.clone(), Val::from(category.as_str())]);
            let at = params.len() + 1;
            params.push(Val::from(before.to_string()));
            c.for_each_ref(
                &format!(
                    "{COLS} WHERE state = $1 AND category = $2 AND {cond} AND decided_on < ${at}"
                ),
                &params,
                &mut read,
            )?;
        }
        Ok(())
    }
}

/// An active record's period as read.
fn active_period(r: &crate::db::RowRef<'_>) -> StoreResult<ActivePeriod> {
    let bad = |f: &str| StoreError::Internal(format!("records.{f}"));
    Ok(ActivePeriod {
        id: r.int("id")?.ok_or_else(|| bad("id"))?,
        category: r
            .text("category")?
            .ok_or_else(|| bad("category"))?
            .into_owned(),
        severity: match r.text("severity")? {
            Some(s) => Some(Severity::parse(&s).map_err(|_| bad("severity"))?),
            None => None,
        },
        decided_on: r.date("decided_on")?,
        disclosure_until: r.date("disclosure_until")?,
    })
}
