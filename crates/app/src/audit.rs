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
    const HEADERS: &[(&str, &str)] = &[
        ("seq", "序号"),
        ("at", "时间"),
        ("actor", "操作人"),
        ("action", "操作"),
        ("entity", "对象"),
        ("entity_id", "对象编号"),
        ("detail", "内容"),
        ("detail_raw", "内容原文"),
        ("actor_code", "操作人代码"),
        ("action_code", "操作代码"),
        ("entity_code", "对象代码"),
    ];
    let entries = search(app, q, None, cap)?;
    // The platform's table writer (Excel needs a file): the same sheet as every other export.
    let dir = tempfile::tempdir().map_err(|e| crate::AppError::msg(format!("导出失败：{e}")))?;
    let path = dir.path().join("audit.xlsx");
    let mut w = probity_ingest::TableWriter::create(&path, probity_ingest::Format::Xlsx, HEADERS)?;
    for e in &entries {
        let at = chrono::DateTime::parse_from_rfc3339(&e.at)
            .map(|t| probity_domain::date::beijing_second(t.with_timezone(&chrono::Utc)))
            .unwrap_or_else(|_| e.at.clone());
        let entity = probity_domain::audit::Entity::parse(&e.entity)
            .map_or(e.entity.as_str(), |x| x.label());
        let (seq, actor, action) = (e.seq.to_string(), e.actor_label(), e.action_label());
        w.write_row(&[
            &seq,
            &at,
            &actor,
            &action,
            entity,
            &e.entity_id,
            &probity_domain::audit::particulars(&e.detail),
            &e.detail,
            &e.actor,
            &e.action,
            &e.entity,
        ])?;
    }
    w.finish()?;
    std::fs::read(&path).map_err(|e| crate::AppError::msg(format!("导出失败：{e}")))
}
