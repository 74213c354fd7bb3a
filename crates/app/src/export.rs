//! The change-feed export: records changed after a sequence number, as JSONL, CSV or XLSX, with
//! the national 双公示-style Chinese headers.

use std::path::Path;

use probity_ingest::{Format, TableWriter};
use probity_store::Store;

use crate::AppError;

pub const EXPORT_HEADERS: &[(&str, &str)] = &[
    ("seq", "变更序号"),
    ("id", "记录编号"),
    ("state", "状态"),
    ("subject_name", "主体名称"),
    ("uscc", "统一社会信用代码"),
    ("id_number", "身份证号"),
    ("category", "记录类别"),
    ("kind", "记录性质"),
    ("document_no", "决定文书号"),
    ("decided_on", "决定日期"),
    ("authority", "决定机关"),
    ("facts", "失信事实"),
    ("basis", "处理依据"),
    ("outcome", "处理结果"),
    ("severity", "严重程度"),
    ("scope", "公开范围"),
    ("disclosure_until", "公示截止日期"),
    ("provider", "数据来源单位"),
];

/// Writes the records changed after `since` to `out` (or standard output), in feed order.
pub fn export(
    store: &Store,
    since: i64,
    format: Format,
    out: Option<&Path>,
) -> Result<u64, AppError> {
    let mut w = match out {
        Some(p) => TableWriter::create(p, format, EXPORT_HEADERS)?,
        None => TableWriter::to_writer(Box::new(std::io::stdout().lock()), format, EXPORT_HEADERS)?,
    };
    let mut err = None;
    store
        .export_since(since, |row| {
            let r = &row.record;
            let seq = r.last_seq.to_string();
            let id = r.id.to_string();
            let (decided_on, disclosure_until) =
                (r.decided_on.to_string(), r.disclosure_until.to_string());
            let cells = [
                seq.as_str(),
                id.as_str(),
                r.state.code(),
                r.subject_name.as_str(),
                row.subject_uscc.as_deref().unwrap_or(""),
                row.subject_id_masked.as_deref().unwrap_or(""),
                r.category.as_str(),
                r.kind.code(),
                r.document_no.as_str(),
                decided_on.as_str(),
                r.authority.as_str(),
                r.facts.as_str(),
                r.basis.as_deref().unwrap_or(""),
                r.outcome.as_str(),
                r.severity.map(|s| s.code()).unwrap_or(""),
                r.scope.code(),
                disclosure_until.as_str(),
                row.provider_name.as_str(),
            ];
            if let Err(e) = w.write_row(&cells) {
                err = Some(e);
                return Err(probity_store::StoreError::Config("写入导出文件失败".into()));
            }
            Ok(())
        })
        .map_err(|e| match err.take() {
            Some(fe) => AppError::File(fe),
            None => AppError::Store(e),
        })?;
    Ok(w.finish()?)
}
