//! The working-day calendar as stored (工作日历): one row per year the credit office maintains,
//! its listed days as JSON, audited by year. The calendar the platform counts deadlines on is
//! the shipped State Council data with every stored year put in its place.

use probity_domain::audit::{self, Actor, Entity};
use probity_domain::calendar::{Calendar, CalendarDay};
use probity_domain::{Code, DomainError};

use crate::Store;
use crate::db::Val;
use crate::error::{StoreError, StoreResult};
use crate::journal::{Entry, state_digest};
use crate::unit::Tx;

/// The audited columns of a stored calendar year.
pub const CALENDAR_COLS: &[&str] = &["year", "days"];

/// One year as the credit office saved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredYear {
    pub year: i32,
    pub days: Vec<CalendarDay>,
    /// When it was last saved (RFC 3339 UTC).
    pub updated_at: String,
}

impl Store {
    /// The years the credit office saved, in order.
    pub fn calendar_years(&self) -> StoreResult<Vec<StoredYear>> {
        let mut c = self.conn()?;
        c.query(
            "SELECT year, days, updated_at FROM calendar_years ORDER BY year",
            &[],
        )?
        .iter()
        .map(|r| {
            let year = r.need_int("year")?;
            let days: Vec<CalendarDay> = serde_json::from_str(r.need_text("days")?)
                .map_err(|e| StoreError::Internal(format!("工作日历 {year} 年无法解析：{e}")))?;
            Ok(StoredYear {
                year: i32::try_from(year)
                    .map_err(|_| StoreError::Internal(format!("工作日历年份 {year} 无效")))?,
                days,
                updated_at: r.need_text("updated_at")?.to_string(),
            })
        })
        .collect()
    }

    /// The calendar deadlines are counted on: the shipped years, each stored year in its place.
    pub fn calendar(&self) -> StoreResult<Calendar> {
        let stored = self.calendar_years()?;
        let years = stored.iter().map(|y| y.year).collect::<Vec<_>>();
        let days = stored.into_iter().flat_map(|y| y.days);
        let saved = Calendar::new(years, days).map_err(|problems| {
            StoreError::Internal(format!(
                "已保存的工作日历无效：{}",
                problems
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join("；")
            ))
        })?;
        Ok(Calendar::official().merged(&saved))
    }
}

/// The calendar, on one unit of work.
pub struct CalendarYears<'t, 's> {
    pub(crate) tx: &'t mut Tx<'s>,
}

impl CalendarYears<'_, '_> {
    /// Saves `year` with its listed days, in place of whatever the platform had for it. The
    /// days are checked as one calendar first (every problem at once, nothing written). Saving
    /// the same days again changes nothing and journals nothing; returns whether it wrote.
    pub fn save(&mut self, year: i32, days: &[CalendarDay], actor: &str) -> StoreResult<bool> {
        let mut days = days.to_vec();
        days.sort_by_key(|d| d.date);
        if let Err(problems) = Calendar::new([year], days.iter().cloned()) {
            let message = problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("；");
            return Err(StoreError::Domain(DomainError::new(
                Code::CalendarInvalid,
                message,
            )));
        }
        let body = serde_json::to_string(&days).map_err(|e| StoreError::Internal(e.to_string()))?;
        let now = self.tx.at().to_string();
        let c = self.tx.conn();
        let old = c.query_text(
            "SELECT days FROM calendar_years WHERE year = $1",
            &[Val::Int(year.into())],
        )?;
        if old.as_deref() == Some(body.as_str()) {
            return Ok(false);
        }
        let params = [
            Val::Int(year.into()),
            Val::from(body.as_str()),
            Val::from(now.as_str()),
        ];
        if old.is_some() {
            c.exec(
                "UPDATE calendar_years SET days = $2, updated_at = $3 WHERE year = $1",
                &params,
            )?;
        } else {
            c.exec(
                "INSERT INTO calendar_years (year, days, updated_at) VALUES ($1, $2, $3)",
                &params,
            )?;
        }
        let holidays = days
            .iter()
            .filter(|d| d.kind == probity_domain::calendar::DayKind::Holiday)
            .count();
        self.tx.append(Entry {
            actor: Actor::parse(actor),
            action: if old.is_some() {
                audit::Action::Update
            } else {
                audit::Action::Create
            },
            entity: Entity::CalendarYear,
            entity_id: year.to_string(),
            detail: serde_json::json!({
                "holidays": holidays,
                "workdays": days.len() - holidays,
            })
            .to_string(),
            state_digest: state_digest(&[Val::Int(year.into()), Val::from(body.as_str())]),
        });
        Ok(true)
    }
}
