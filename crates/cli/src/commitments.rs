//! `probity commitments import` and `probity commitments list`: the commitments registry (守信践诺)
//! at the machine. The rules are `probity_app::commitments`'s; this file only translates.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use probity_app::App;
use probity_app::commitments::{ImportArgs, ImportKind, ListQuery};
use probity_domain::commitment::State;
use probity_domain::commitment::money::yuan_text;

use crate::{EXIT_OK, report};

/// What a file holds (`--kind`).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FileKind {
    /// 政府采购合同: one contract a row.
    Procurement,
    /// 付款记录: one payment of a contract a row.
    Payments,
}

/// The kinds of promise a list shows (`--kind`).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ListKind {
    Procurement,
}

#[derive(Subcommand)]
pub enum CommitmentsCommand {
    /// Loads contracts or their payments (CSV, XLSX or JSONL); prints
    /// `accepted N, duplicates D, rejected R` with the record import's exit codes.
    Import {
        file: PathBuf,
        #[arg(long, value_enum)]
        kind: FileKind,
        /// Write every rejected row with its reason to this file (.csv or .xlsx).
        #[arg(long)]
        errors: Option<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(1..=50_000))]
        batch_size: u32,
    },
    /// Lists the registry as of today (or --today): each contract's due date, what is unpaid,
    /// the days overdue and the late interest.
    List {
        #[arg(long, value_enum, default_value_t = ListKind::Procurement)]
        kind: ListKind,
        /// open, due_soon, overdue, kept or broken (or the Chinese: 履行中, 即将到期, 已逾期, 按期履行, 违约).
        #[arg(long, value_parser = parse_state)]
        state: Option<State>,
        /// One purchaser only: name, short name or USCC.
        #[arg(long)]
        owner: Option<String>,
        /// The day to read the registry as of (YYYY-MM-DD).
        #[arg(long, value_parser = crate::parse_day)]
        today: Option<chrono::NaiveDate>,
        /// A JSON array instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Each purchaser's contracts overdue and unpaid at the end of a year (the disclosure due by
    /// 31 March of the next year): printed, or written as Excel with --out.
    Disclosure {
        #[arg(long, value_parser = clap::value_parser!(i32).range(2018..=2100))]
        year: i32,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn parse_state(s: &str) -> Result<State, String> {
    State::parse(s)
        .ok_or_else(|| format!("未知状态“{s}”：可选 open、due_soon、overdue、kept、broken"))
}

pub fn run(app: &App, command: &CommitmentsCommand, actor: &str) -> anyhow::Result<u8> {
    match command {
        CommitmentsCommand::Import {
            file,
            kind,
            errors,
            json,
            batch_size,
        } => {
            let kind = match kind {
                FileKind::Procurement => ImportKind::Contracts,
                FileKind::Payments => ImportKind::Payments,
            };
            let bar = (!*json).then(report::ProgressBar::new);
            let on_progress = |p: probity_app::import::Progress| {
                if let Some(b) = &bar {
                    b.report(p);
                }
            };
            let result = probity_app::commitments::import(
                app,
                ImportArgs {
                    file,
                    kind,
                    errors: errors.clone(),
                    batch_size: *batch_size as usize,
                    actor: actor.to_string(),
                    today: app.today(),
                    progress: Some(&on_progress),
                },
            );
            drop(bar);
            let updated = result.as_ref().map(|s| s.updated).unwrap_or(0);
            let code = crate::finish_import(result, kind.columns(), *json, false)?;
            if updated > 0 && !*json {
                println!("已更新 {updated} 份尚未付款的合同");
            }
            Ok(code)
        }
        CommitmentsCommand::List {
            kind: ListKind::Procurement,
            state,
            owner,
            today,
            json,
        } => {
            let q = ListQuery {
                state: *state,
                owner: owner.clone(),
                q: None,
                today: *today,
            };
            let out = std::io::stdout();
            let mut out = std::io::BufWriter::new(out.lock());
            let mut n = 0u64;
            if *json {
                write!(out, "[")?;
            } else {
                writeln!(
                    out,
                    "合同编号\t采购单位\t供应商\t合同金额（元）\t应付日期\t未付金额（元）\t逾期天数\t逾期利息（元）\t状态"
                )?;
            }
            probity_app::commitments::visit(app, &q, |v| {
                let r = if *json {
                    write!(out, "{}\n{}", if n == 0 { "" } else { "," }, v.to_json())
                } else {
                    let c = &v.contract;
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        c.contract_no,
                        v.purchaser,
                        c.supplier,
                        yuan_text(c.amount),
                        c.due_on
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "未交付".into()),
                        yuan_text(v.status.unpaid),
                        v.status.overdue_days,
                        yuan_text(v.status.interest),
                        v.status.state.label()
                    )
                };
                n += 1;
                r.map_err(|e| probity_app::AppError::Other(format!("无法输出：{e}")))
            })?;
            if *json {
                writeln!(out, "\n]")?;
            } else {
                out.flush()?;
                eprintln!("共 {n} 份合同");
            }
            Ok(EXIT_OK)
        }
        CommitmentsCommand::Disclosure { year, out } => {
            let d = probity_app::commitments::payment_disclosure(app, *year)?;
            match out {
                Some(path) => {
                    let bytes = probity_app::commitments::payment_disclosure_xlsx(&d)?;
                    std::fs::write(path, bytes)?;
                    println!("已写入 {}", path.display());
                }
                None => {
                    println!(
                        "{} 年度逾期未支付中小企业款项情况（截至 {}）",
                        d.year, d.as_of
                    );
                    println!("采购单位\t逾期未付合同数\t逾期未付金额（元）");
                    for l in &d.lines {
                        println!("{}\t{}\t{}", l.purchaser, l.contracts, yuan_text(l.unpaid));
                    }
                }
            }
            println!("合计：{} 份合同，{} 元", d.contracts, yuan_text(d.unpaid));
            Ok(EXIT_OK)
        }
    }
}
