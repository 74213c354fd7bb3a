//! The roster (主体名录) as officials read it: every subject, one subject within the actor's
//! reach, a unit named by short name, full name or USCC. (Files of the roster go through
//! [`crate::import`].)

use probity_store::Subject;

use crate::access::visible_subject;
use crate::{Actor, App, AppResult};

/// Every subject of the roster.
pub fn all(app: &App) -> AppResult<Vec<Subject>> {
    Ok(app.store().subjects()?)
}

/// The roster's units (not its civil servants), in id order: what a form offers to pick from.
pub fn units(app: &App) -> AppResult<Vec<Subject>> {
    let mut all = app.store().subjects()?;
    all.retain(|s| s.kind.is_unit() && s.successor_id.is_none());
    Ok(all)
}

/// One subject within the actor's reach (an assessed unit sees itself and its predecessors).
pub fn get(app: &App, actor: &Actor, id: i64) -> AppResult<Subject> {
    visible_subject(app.store(), actor, id)
}

/// Records a restructuring (机构改革): the unit named `from` (short name, full name or USCC) was
/// renamed or merged into the unit named `into`; its records follow its successor. `by` is who
/// the journal names (the operator at the machine, `cli:root`). Returns both units.
pub fn merge(
    app: &App,
    by: &str,
    from: &str,
    into: &str,
    reason: &str,
) -> AppResult<(Subject, Subject)> {
    let store = app.store();
    let a = store.find_unit(from)?;
    let b = store.find_unit(into)?;
    store.link_successor(a.id, b.id, by, reason)?;
    Ok((a, b))
}

/// The whole roster as an Excel workbook, in id order: names, kinds in Chinese, the masked ID
/// number of a civil servant (never the number itself), each one's unit or parent by name, and
/// whether the subject's records now follow a successor.
pub fn export(app: &App) -> AppResult<Vec<u8>> {
    const HEADERS: &[(&str, &str)] = &[
        ("id", "编号"),
        ("name", "名称"),
        ("short_name", "简称"),
        ("kind", "类型"),
        ("uscc", "统一社会信用代码"),
        ("id_masked", "身份证号（脱敏）"),
        ("unit", "所在单位或上级"),
        ("position", "职务"),
        ("successor", "承继单位"),
    ];
    let all = all(app)?;
    let names: std::collections::HashMap<i64, &str> =
        all.iter().map(|s| (s.id, s.name.as_str())).collect();
    let name_of = |id: Option<i64>| id.and_then(|i| names.get(&i).copied()).unwrap_or("");
    let dir = tempfile::tempdir().map_err(|e| crate::AppError::msg(format!("导出失败：{e}")))?;
    let path = dir.path().join("roster.xlsx");
    let mut w = probity_ingest::TableWriter::create(&path, probity_ingest::Format::Xlsx, HEADERS)?;
    for s in &all {
        w.write_row(&[
            &s.id.to_string(),
            &s.name,
            s.short_name.as_deref().unwrap_or(""),
            s.kind.label(),
            s.uscc.as_deref().unwrap_or(""),
            s.id_masked.as_deref().unwrap_or(""),
            name_of(s.unit_id.or(s.parent_id)),
            s.position.as_deref().unwrap_or(""),
            name_of(s.successor_id),
        ])?;
    }
    w.finish()?;
    std::fs::read(&path).map_err(|e| crate::AppError::msg(format!("导出失败：{e}")))
}

/// Registers one subject from the credit office's form, or updates the one `editing` names
/// (its kind and identifier stay: a unit is its USCC, a civil servant its ID number, which the
/// form never shows). Journaled like an import of one row, by `actor`. A refusal is pinned to
/// the form's field.
pub fn save(
    app: &App,
    actor: &crate::Actor,
    editing: Option<i64>,
    mut row: probity_domain::subject::RosterRow,
) -> AppResult<Subject> {
    use probity_domain::subject::{SubjectKey, SubjectKind};
    let store = app.store();
    if let Some(id) = editing {
        let s = store.subject(id)?;
        row.kind = s.kind.label().to_string();
        if s.kind == SubjectKind::CivilServant {
            row.uscc.clear();
            row.id_number = store.reveal_id_number(id)?.unwrap_or_default();
        } else {
            row.id_number.clear();
            row.uscc = s.uscc.unwrap_or_default();
        }
    }
    let new = row.validate(false).map_err(|e| {
        let code = e.code.as_str();
        let field = if code.starts_with("USCC_") {
            "uscc"
        } else if code.starts_with("ID_NUMBER_") {
            "id_number"
        } else {
            ""
        };
        let e = crate::AppError::Domain(e);
        if field.is_empty() { e } else { e.at(field) }
    })?;
    let key = new.key.clone();
    let report = store.import_roster(vec![(1, new)], &actor.name())?;
    if let Some((_, column, e)) = report.rejected.into_iter().next() {
        let column: &'static str = match column {
            "parent" => "parent",
            "unit" => "unit",
            "uscc" => "uscc",
            "id_number" => "id_number",
            "name" => "name",
            "short_name" => "short_name",
            _ => "",
        };
        let e = crate::AppError::Domain(e);
        return Err(if column.is_empty() { e } else { e.at(column) });
    }
    match key {
        SubjectKey::Uscc(u) => Ok(store.find_unit(u.as_str())?),
        SubjectKey::IdNumber(n) => store
            .find_civil_servant(&n)?
            .ok_or_else(|| crate::AppError::msg("登记后未找到该公务员".into())),
    }
}
