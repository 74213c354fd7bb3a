//! The smaller commands: demo loading, serving, exporting the change feed, writing templates.

use std::path::Path;

use chrono::NaiveDate;
use probity_domain::catalog::{Catalog, Scope, Severity};
use probity_domain::subject::SubjectKind;
use probity_ingest::{Format, TableWriter, TemplateColumn, write_template};
use probity_store::{Channel, ImportOptions, Outcome, Store};

use crate::columns;

/// Loads the demo district into an empty database; leaves a database with records alone.
pub fn load_demo(store: &Store, today: NaiveDate) -> anyhow::Result<()> {
    let existing = store.record_count()?;
    if existing > 0 {
        println!("数据库中已有 {existing} 条记录，未重复加载演示数据");
        return Ok(());
    }
    let demo = crate::demo::demo_district(today);
    let mut roster = Vec::new();
    for (i, row) in demo.roster.iter().enumerate() {
        roster.push((
            i + 2,
            row.validate(false)
                .map_err(|e| anyhow::anyhow!("演示名录第 {} 行：{e}", i + 2))?,
        ));
    }
    let report = store.import_roster(roster, "demo")?;
    if !report.rejected.is_empty() {
        anyhow::bail!(
            "演示名录有 {} 行被拒绝：{}",
            report.rejected.len(),
            report.rejected[0].2
        );
    }
    let catalog = store.catalog()?;
    // One import per provider, activated by the credit office, as a real first load would be.
    let mut providers: Vec<&str> = demo.records.iter().map(|(p, _)| p.as_str()).collect();
    providers.sort();
    providers.dedup();
    let mut accepted = 0;
    for p in providers {
        let provider = store.find_unit(p)?;
        let mut batch = Vec::new();
        for (i, (_, row)) in demo.records.iter().enumerate().filter(|(_, (q, _))| q == p) {
            let rec = row
                .validate(&catalog, today)
                .map_err(|e| anyhow::anyhow!("演示记录第 {} 条：{}", i + 1, e[0].error))?;
            batch.push((i + 1, rec));
        }
        let mut import = store.start_import(ImportOptions {
            provider,
            actor: "demo".into(),
            channel: Channel::File,
            source: "demo".into(),
            activate: true,
            all_or_nothing: true,
        })?;
        for (row, outcome) in import.push(batch)? {
            match outcome {
                Outcome::Accepted { .. } => accepted += 1,
                Outcome::Duplicate { .. } => {}
                Outcome::Rejected(e) => anyhow::bail!("演示记录第 {row} 条被拒绝：{}", e[0].error),
            }
        }
        import.finish(true)?;
    }
    println!(
        "已加载演示数据：滨海新区 {} 个主体，{} 条信用记录",
        report.created + report.updated + report.unchanged,
        accepted
    );
    Ok(())
}

pub fn serve(store: Store, addr: &str) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // The last handle on the pool is dropped here, outside the runtime: PostgreSQL connections
    // close through their own runtime, which must not happen on an async thread.
    let keep = store.clone();
    let result = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("无法监听 {addr}：{e}"))?;
        println!("Probity 已启动：http://{}", listener.local_addr()?);
        // Ctrl-C in a terminal, SIGTERM from systemd or a container runtime: finish the requests
        // in flight, then stop.
        let shutdown = async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                match signal(SignalKind::terminate()) {
                    Ok(mut term) => {
                        tokio::select! {
                            _ = tokio::signal::ctrl_c() => {}
                            _ = term.recv() => {}
                        }
                    }
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                    }
                }
            }
            #[cfg(not(unix))]
            {
                let _ = tokio::signal::ctrl_c().await;
            }
            tracing::info!("shutting down");
        };
        probity_web::serve(store, probity_web::WebConfig::default(), listener, shutdown).await?;
        Ok(())
    });
    drop(rt);
    drop(keep);
    result
}

const EXPORT_HEADERS: &[(&str, &str)] = &[
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
) -> anyhow::Result<u64> {
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
                r.decided_on.as_str(),
                r.authority.as_str(),
                r.facts.as_str(),
                r.basis.as_deref().unwrap_or(""),
                r.outcome.as_str(),
                r.severity.map(|s| s.code()).unwrap_or(""),
                r.scope.code(),
                r.disclosure_until.as_str(),
                row.provider_name.as_str(),
            ];
            if let Err(e) = w.write_row(&cells) {
                err = Some(e);
                return Err(probity_store::StoreError::Config("写入导出文件失败".into()));
            }
            Ok(())
        })
        .map_err(|e| match err.take() {
            Some(fe) => anyhow::anyhow!("{}", fe.message),
            None => anyhow::anyhow!("{e}"),
        })?;
    Ok(w.finish()?)
}

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

pub fn write_roster_template(out: &Path) -> anyhow::Result<()> {
    let demo = crate::demo::demo_district(crate::today());
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
) -> anyhow::Result<()> {
    let cats: Vec<_> = match category {
        Some(c) => vec![catalog.lookup(c)?.clone()],
        None => catalog.categories().to_vec(),
    };
    let first = cats.first().ok_or_else(|| anyhow::anyhow!("目录为空"))?;
    let demo = crate::demo::demo_district(crate::today());
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

/// `probity subjects show`: the unit, its predecessors, and its records, newest first.
pub fn show_unit(store: &Store, reference: &str) -> anyhow::Result<()> {
    let unit = store.find_unit(reference)?;
    println!("{}（{}）", unit.name, unit.kind.label());
    if let Some(short) = &unit.short_name {
        println!("  简称：{short}");
    }
    if let Some(uscc) = &unit.uscc {
        let note = if unit.uscc_override {
            "（历史代码，经信用办登记）"
        } else {
            ""
        };
        println!("  统一社会信用代码：{uscc}{note}");
    }
    if let Some(successor) = unit.successor_id {
        println!("  已由 {} 承继", store.subject(successor)?.name);
    }
    for id in store.lineage(unit.id)?.into_iter().skip(1) {
        println!("  前身单位：{}", store.subject(id)?.name);
    }
    let records = store.records_of_subject(unit.id)?;
    println!("  信用记录：{} 条", records.len());
    for r in records {
        println!(
            "  #{}\t{}\t{}\t{}\t{}\t{}\t公示至 {}",
            r.id,
            r.decided_on,
            r.kind.label(),
            r.category,
            r.document_no,
            r.state.label(),
            r.disclosure_until
        );
    }
    Ok(())
}

/// `probity catalog list`: one block per category, as the credit office set it.
pub fn print_catalog(catalog: &Catalog) {
    for c in catalog.categories() {
        println!("{}\t{}\t{}", c.code, c.name, c.kind.label());
        println!("  可报送单位：{}", c.providers.describe());
        if let Some(sev) = c.default_severity {
            println!(
                "  默认严重程度：{}；默认公开范围：{}",
                sev.label(),
                c.default_scope.label()
            );
        } else {
            println!("  默认公开范围：{}", c.default_scope.label());
        }
        let periods: Vec<String> = Severity::ALL
            .iter()
            .map(|s| {
                let b = c.bounds(Some(*s));
                format!("{} {}–{} 个月", s.label(), b.min_months, b.max_months)
            })
            .collect();
        println!("  公示期：{}", periods.join("，"));
        println!(
            "  信用修复：{}；整改期限：{} 个工作日；考核分值：{}",
            if c.repairable {
                "最短公示期满后可申请"
            } else {
                "不适用"
            },
            c.rectification_working_days,
            c.score_weight
        );
    }
}
