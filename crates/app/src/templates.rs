//! The Excel templates officials fill in: the import columns, a sample row from the demo
//! district, drop-down lists of the allowed values, and a 说明 sheet with the catalog's rules.

use std::path::Path;

use chrono::NaiveDate;
use probity_domain::catalog::{Catalog, Scope, Severity};
use probity_domain::subject::SubjectKind;
use probity_ingest::{TemplateColumn, write_template};

use crate::{AppError, columns};

fn template_column(
    spec: &probity_ingest::ColumnSpec,
    sample: &str,
    allowed: Vec<String>,
    note: &str,
) -> TemplateColumn {
    let text = matches!(spec.key, "uscc" | "id_number" | "document_no");
    TemplateColumn {
        header: spec.header.to_string(),
        key: spec.key.to_string(),
        required: spec.required,
        sample: sample.to_string(),
        allowed,
        text,
        width: if matches!(spec.key, "facts" | "basis" | "outcome" | "name") {
            36.0
        } else {
            20.0
        },
        note: note.to_string(),
    }
}

pub fn write_roster_template(out: &Path, today: NaiveDate) -> Result<(), AppError> {
    let demo = crate::demo::demo_district(today);
    let sample = demo
        .roster
        .iter()
        .find(|r| r.kind == "部门")
        .cloned()
        .unwrap_or_default();
    let samples = [
        sample.name.as_str(),
        sample.short_name.as_str(),
        sample.kind.as_str(),
        sample.uscc.as_str(),
        sample.parent.as_str(),
        "",
        "",
        "",
    ];
    let notes = [
        "单位全称",
        "单位简称，如 区财政局；报送记录时可用简称指定单位",
        "区政府、功能区、部门、街镇 或 公务员",
        "单位必填，18 位，含校验位",
        "上级单位的名称、简称或统一社会信用代码",
        "公务员必填，18 位；加密保存，任何页面不显示全号",
        "公务员必填：所在单位的名称、简称或统一社会信用代码",
        "公务员职务",
    ];
    let kinds: Vec<String> = SubjectKind::ALL
        .iter()
        .map(|k| k.label().to_string())
        .collect();
    let cols: Vec<TemplateColumn> = columns::ROSTER
        .iter()
        .zip(samples.iter().zip(notes.iter()))
        .map(|(spec, (s, n))| {
            template_column(
                spec,
                s,
                if spec.key == "kind" {
                    kinds.clone()
                } else {
                    vec![]
                },
                n,
            )
        })
        .collect();
    write_template(
        out,
        "主体名录",
        &cols,
        &[
            "主体名录导入模板：每行一个单位或公务员。带 * 的列必填。".to_string(),
            "第 2 行为示例，导入前请删除或替换。".to_string(),
        ],
    )?;
    Ok(())
}

pub fn write_records_template(
    catalog: &Catalog,
    category: Option<&str>,
    out: &Path,
    today: NaiveDate,
) -> Result<(), AppError> {
    let cats: Vec<_> = match category {
        Some(c) => vec![catalog.lookup(c)?.clone()],
        None => catalog.categories().to_vec(),
    };
    let first = cats
        .first()
        .ok_or_else(|| AppError::msg("目录为空".to_string()))?;
    let demo = crate::demo::demo_district(today);
    let sample = demo
        .records
        .iter()
        .map(|(_, r)| r)
        .find(|r| r.category == first.code || r.category == first.name)
        .cloned()
        .unwrap_or_default();
    let samples = [
        sample.subject_name.as_str(),
        sample.uscc.as_str(),
        sample.id_number.as_str(),
        first.name.as_str(),
        sample.document_no.as_str(),
        sample.decided_on.as_str(),
        sample.authority.as_str(),
        sample.facts.as_str(),
        sample.basis.as_str(),
        sample.outcome.as_str(),
        first.default_severity.map(|s| s.label()).unwrap_or(""),
        "",
        "",
    ];
    let notes = [
        "被记录单位或公务员的全称（须已在主体名录中）",
        "单位填写；与身份证号二选一",
        "公务员填写；与统一社会信用代码二选一",
        "目录中的类别名称或代码",
        "同一报送单位内唯一；重复导入同一文书号不会重复入库",
        "如 2024-01-05、2024/1/5 或 2024年1月5日",
        "作出决定的机关全称",
        "失信行为的事实",
        "法律法规或制度依据",
        "处理、处罚或判决的结果",
        "轻微、一般 或 严重；不填则取类别默认值；守信类别不填",
        "社会公开、政务共享 或 授权查询；不填则取类别默认值",
        "不填则按严重程度取最长公示期",
    ];
    let names: Vec<String> = cats.iter().map(|c| c.name.clone()).collect();
    let severities: Vec<String> = Severity::ALL
        .iter()
        .map(|s| s.label().to_string())
        .collect();
    let scopes: Vec<String> = Scope::ALL.iter().map(|s| s.label().to_string()).collect();
    let cols: Vec<TemplateColumn> = columns::RECORDS
        .iter()
        .zip(samples.iter().zip(notes.iter()))
        .map(|(spec, (s, n))| {
            let allowed = match spec.key {
                "category" => names.clone(),
                "severity" => severities.clone(),
                "scope" => scopes.clone(),
                _ => vec![],
            };
            template_column(spec, s, allowed, n)
        })
        .collect();
    let mut instructions = vec![
        "信用记录导入模板：每行一条记录。带 * 的列必填。".to_string(),
        "第 2 行为示例，导入前请删除或替换。".to_string(),
    ];
    for c in &cats {
        let b = c.bounds(c.default_severity);
        instructions.push(format!(
            "{}（{}）：{}，可报送单位：{}；默认公示期 {}–{} 个月",
            c.name,
            c.code,
            c.kind.label(),
            c.providers.describe(),
            b.min_months,
            b.max_months
        ));
    }
    write_template(out, "信用记录", &cols, &instructions)?;
    Ok(())
}
