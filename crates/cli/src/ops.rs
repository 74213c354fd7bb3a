//! The smaller commands: serving, and what `subjects show` and `catalog list` print.

use probity_domain::catalog::{Catalog, Severity};
use probity_store::Store;

/// `probity reindex`: the search index built again from the database, with a progress bar.
pub fn reindex(store: &Store, dir: &std::path::Path) -> anyhow::Result<()> {
    let index = probity_search::SearchIndex::open(dir, 200_000_000)?;
    let total = u64::try_from(store.record_count()?).unwrap_or(0);
    let bar = crate::report::progress_bar(total, "建立索引");
    let started = std::time::Instant::now();
    let r = probity_app::reindex::rebuild(store, &index, probity_app::today(), &|n| {
        bar.set_position(n as u64)
    })?;
    bar.finish_and_clear();
    println!(
        "索引已重建：{} 个单位，{} 条公示记录（{} 条不公示），用时 {:.1} 秒 → {}",
        r.subjects,
        r.records,
        r.withheld,
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    Ok(())
}

/// `probity serve`: the web server, and the notifications' mail when `mail` is configured (a
/// round every 30 seconds on a thread of its own, stopped with the server).
pub fn serve(
    store: Store,
    addr: &str,
    config: probity_web::WebConfig,
    pages: probity_web::PagesConfig,
    mail: Option<probity_app::mail::MailConfig>,
) -> anyhow::Result<()> {
    let courier = match mail {
        Some(m) => {
            println!(
                "邮件通知已启用：邮件服务器 {}，发件人 {}",
                m.server(),
                m.from()
            );
            let app = probity_app::App::new(store.clone(), probity_app::Clock::system());
            Some(probity_app::mail::Courier::start(
                app,
                m,
                probity_app::mail::EVERY,
            )?)
        }
        None => None,
    };
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
        probity_web::serve_with(store, config, pages, listener, shutdown).await?;
        Ok(())
    });
    drop(rt);
    if let Some(c) = courier {
        c.stop();
    }
    drop(keep);
    result
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

/// `probity calendar add|import|show`.
pub fn calendar(
    app: &probity_app::App,
    command: &crate::CalendarCommand,
    actor: &str,
) -> anyhow::Result<u8> {
    use crate::CalendarCommand as C;
    match command {
        C::Add { date, n } => {
            println!("{}", probity_app::calendar::add(app, *date, *n)?);
        }
        C::Import { file } => match probity_app::calendar::import(app, actor, file) {
            Ok(done) => println!("{done}"),
            Err(probity_app::AppError::Fields(problems)) => {
                eprintln!("工作日历未导入（未作任何改动），请修改后重新导入：");
                for p in problems {
                    eprintln!("  {}", p.error.message);
                }
                return Ok(crate::EXIT_REJECTED);
            }
            Err(e) => return Err(e.into()),
        },
        C::Show { year: Some(year) } => {
            let y = probity_app::calendar::year(app, *year)?;
            println!(
                "{} 年：工作日 {} 天，放假 {} 天，调休上班 {} 天；来源：{}",
                y.year,
                y.working_days,
                y.holidays,
                y.workdays,
                y.source.label()
            );
            for d in &y.days {
                println!(
                    "{}\t{}\t{}\t{}",
                    d.date,
                    probity_domain::date::weekday_label(d.date),
                    d.kind.label(),
                    d.name
                );
            }
        }
        C::Show { year: None } => {
            for y in probity_app::calendar::years(app)? {
                println!(
                    "{}\t工作日 {} 天\t放假 {} 天\t调休上班 {} 天\t{}",
                    y.year,
                    y.working_days,
                    y.holidays,
                    y.workdays,
                    y.source.label()
                );
            }
        }
    }
    Ok(crate::EXIT_OK)
}
