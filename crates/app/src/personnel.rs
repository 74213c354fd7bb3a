//! What the organisation and personnel department (组织人事部门) reads: the district's civil
//! servants who have records in their files (decided on: active, under objection, repaired or
//! expired; public or not), with their unit and position, optionally of one unit. The ID number
//! shows masked, as everywhere inside the platform.

use std::collections::HashMap;

use probity_domain::catalog::Catalog;
use probity_domain::subject::SubjectKind;
use probity_store::{RecordFilter, RecordOrder, RecordSummary, Subject};

use crate::{App, AppError, AppResult};

/// The most records one view lists; narrow it by unit for more.
pub const MAX_RECORDS: u32 = 500;

/// One record of a civil servant, as the department reads it.
#[derive(Debug, Clone)]
pub struct PersonRecord {
    pub person: Subject,
    /// The unit's short name (else its name).
    pub unit: String,
    pub record: RecordSummary,
    pub category: String,
    pub provider: String,
}

/// The civil servants' records, newest decision first.
#[derive(Debug, Clone)]
pub struct Personnel {
    pub records: Vec<PersonRecord>,
    /// How many civil servants they concern.
    pub people: usize,
    /// More records exist than `MAX_RECORDS`.
    pub truncated: bool,
    /// The units that have civil servants on the roster: (id, short name), to filter by.
    pub units: Vec<(i64, String)>,
}

/// The records of the civil servants of `unit` (all units when `None`).
pub fn records(app: &App, unit: Option<i64>) -> AppResult<Personnel> {
    let store = app.store();
    let subjects = store.subjects()?;
    let names: HashMap<i64, String> = subjects
        .iter()
        .map(|s| (s.id, s.short_name.clone().unwrap_or_else(|| s.name.clone())))
        .collect();
    let people: HashMap<i64, &Subject> = subjects
        .iter()
        .filter(|s| s.kind == SubjectKind::CivilServant)
        .map(|s| (s.id, s))
        .collect();
    let mut units: Vec<(i64, String)> = people
        .values()
        .filter_map(|p| p.unit_id)
        .collect::<std::collections::BTreeSet<i64>>()
        .into_iter()
        .map(|u| (u, names.get(&u).cloned().unwrap_or_default()))
        .collect();
    units.sort_by(|a, b| a.1.cmp(&b.1));
    if let Some(u) = unit
        && !units.iter().any(|(id, _)| *id == u)
    {
        return Err(AppError::NotFound(format!("单位 {u} 没有在册公务员")));
    }
    let filter = RecordFilter {
        in_subject_file: true,
        civil_servants_only: true,
        civil_servants_of: unit,
        ..Default::default()
    };
    let mut found = store.list_summaries(&filter, RecordOrder::Decided, None, MAX_RECORDS + 1)?;
    let truncated = found.len() > MAX_RECORDS as usize;
    found.truncate(MAX_RECORDS as usize);
    let catalog: Catalog = store.catalog()?;
    let mut concerned = std::collections::HashSet::new();
    let records = found
        .into_iter()
        .filter_map(|r| {
            let person = (*people.get(&r.subject_id)?).clone();
            concerned.insert(person.id);
            Some(PersonRecord {
                unit: person
                    .unit_id
                    .and_then(|u| names.get(&u).cloned())
                    .unwrap_or_default(),
                category: catalog
                    .get(&r.category)
                    .map_or(r.category.clone(), |c| c.name.clone()),
                provider: names.get(&r.provider_id).cloned().unwrap_or_default(),
                person,
                record: r,
            })
        })
        .collect();
    Ok(Personnel {
        records,
        people: concerned.len(),
        truncated,
        units,
    })
}

/// The same view as an Excel workbook, with the category codes in their own column.
pub fn export(p: &Personnel) -> AppResult<Vec<u8>> {
    const HEADERS: &[(&str, &str)] = &[
        ("name", "姓名"),
        ("id_masked", "身份证号（脱敏）"),
        ("unit", "所在单位"),
        ("position", "职务"),
        ("category_name", "记录类别"),
        ("severity", "严重程度"),
        ("document_no", "决定文书号"),
        ("decided_on", "决定日期"),
        ("state", "状态"),
        ("disclosure_until", "公示截止日期"),
        ("provider", "报送单位"),
        ("record", "记录编号"),
        ("category", "类别代码"),
    ];
    let dir = tempfile::tempdir().map_err(|e| AppError::msg(format!("导出失败：{e}")))?;
    let path = dir.path().join("personnel.xlsx");
    let mut w = probity_ingest::TableWriter::create(&path, probity_ingest::Format::Xlsx, HEADERS)?;
    for r in &p.records {
        w.write_row(&[
            &r.person.name,
            r.person.id_masked.as_deref().unwrap_or(""),
            &r.unit,
            r.person.position.as_deref().unwrap_or(""),
            &r.category,
            r.record.severity.map_or("", |s| s.label()),
            &r.record.document_no,
            &r.record.decided_on.to_string(),
            r.record.state.label(),
            &r.record.disclosure_until.to_string(),
            &r.provider,
            &r.record.id.to_string(),
            &r.record.category,
        ])?;
    }
    w.finish()?;
    std::fs::read(&path).map_err(|e| AppError::msg(format!("导出失败：{e}")))
}
