//! The audit trail as the auditor reads it, and the platform's liveness check.

use probity_store::HistoryEntry;

use crate::{App, AppResult};

/// Journal entries after change-feed sequence `after`, oldest first, at most `limit`.
pub fn page(app: &App, after: i64, limit: u32) -> AppResult<Vec<HistoryEntry>> {
    Ok(app.store().journal_page(after, limit)?)
}

/// The newest change-feed sequence number: asks the database, so that it answers only when the
/// database does (the health check).
pub fn head(app: &App) -> AppResult<i64> {
    Ok(app.store().head_seq()?)
}

/// What the auditor asks of the journal, as typed on the page: dates are Beijing calendar days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity: Option<probity_domain::audit::Entity>,
    pub entity_id: Option<String>,
    /// From the start of this day.
    pub from: Option<chrono::NaiveDate>,
    /// To the end of this day.
    pub to: Option<chrono::NaiveDate>,
}

/// The start of Beijing day `d`, in UTC.
fn day_start(d: chrono::NaiveDate) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    probity_domain::date::beijing()
        .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| d.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// Journal entries matching `q`, newest first, before sequence number `before`.
pub fn search(
    app: &App,
    q: &Query,
    before: Option<i64>,
    limit: u32,
) -> AppResult<Vec<HistoryEntry>> {
    let filter = probity_store::JournalFilter {
        actor: q.actor.clone(),
        action: q.action.clone(),
        entity: q.entity,
        entity_id: q.entity_id.clone(),
        from: q.from.map(day_start),
        until: q.to.and_then(|d| d.succ_opt()).map(day_start),
    };
    Ok(app.store().journal_search(&filter, before, limit)?)
}

/// The entries of `q` (at most `cap`, newest first) as an Excel workbook: time (Beijing), who,
/// what, on which object, detail; names in Chinese with the codes in their own columns.
pub fn export(app: &App, q: &Query, cap: u32) -> AppResult<Vec<u8>> {
    let entries = search(app, q, None, cap)?;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let headers = [
        "序号",
        "时间",
        "操作人",
        "操作",
        "对象",
        "对象编号",
        "内容",
        "操作人代码",
        "操作代码",
        "对象代码",
    ];
    let fail = |e: rust_xlsxwriter::XlsxError| crate::AppError::msg(format!("导出失败：{e}"));
    for (col, h) in headers.iter().enumerate() {
        sheet.write_string(0, col as u16, *h).map_err(fail)?;
    }
    for (i, e) in entries.iter().enumerate() {
        let row = (i + 1) as u32;
        let at = chrono::DateTime::parse_from_rfc3339(&e.at)
            .map(|t| probity_domain::date::beijing_second(t.with_timezone(&chrono::Utc)))
            .unwrap_or_else(|_| e.at.clone());
        let entity = probity_domain::audit::Entity::parse(&e.entity)
            .map_or(e.entity.as_str(), |x| x.label());
        let cells = [
            e.seq.to_string(),
            at,
            e.actor_label(),
            e.action_label(),
            entity.to_string(),
            e.entity_id.clone(),
            e.detail.clone(),
            e.actor.clone(),
            e.action.clone(),
            e.entity.clone(),
        ];
        for (col, v) in cells.iter().enumerate() {
            sheet.write_string(row, col as u16, v).map_err(fail)?;
        }
    }
    book.save_to_buffer().map_err(fail)
}
