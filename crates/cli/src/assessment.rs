//! `probity assessment results`: a period's results (考核结果) at the machine: every unit's total,
//! grade and rank in its group, as a table or JSON, with how long the computation took. The
//! rules are `probity_app::assessment`'s.

use std::time::Instant;

use clap::Subcommand;
use probity_app::App;
use probity_domain::assessment::{Period, PeriodKind};

use crate::EXIT_OK;

#[derive(Subcommand)]
pub enum AssessmentCommand {
    /// Computes (or reads the closed snapshot of) a period's results and prints them.
    Results {
        #[arg(long, value_parser = clap::value_parser!(i32).range(2018..=2100))]
        year: i32,
        /// mid_year (年中检查) or year_end (年终考评).
        #[arg(long, default_value = "year_end")]
        period: String,
        /// One JSON object per unit instead of the table.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(app: &App, command: &AssessmentCommand) -> anyhow::Result<u8> {
    match command {
        AssessmentCommand::Results { year, period, json } => {
            let kind = PeriodKind::parse(period).map_err(|e| anyhow::anyhow!(e.message))?;
            let period = Period::new(*year, kind).map_err(|e| anyhow::anyhow!(e.message))?;
            let started = Instant::now();
            let r = probity_app::assessment::results_for_operator(app, period)
                .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            let took = started.elapsed();
            if *json {
                for u in &r.units {
                    let a = &u.assessment;
                    println!(
                        "{}",
                        serde_json::json!({
                            "unit_id": a.unit_id,
                            "name": a.name,
                            "group": probity_app::assessment::group_label(a.kind),
                            "status": a.total.status.label(),
                            "points": a.total.points.to_string(),
                            "grade": a.grade,
                            "rank": u.rank,
                        })
                    );
                }
            } else {
                println!("{}（{}）", period.label(), r.set.name);
                println!("分组\t名次\t单位\t总分\t等次\t状态");
                for u in &r.units {
                    let a = &u.assessment;
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        probity_app::assessment::group_label(a.kind),
                        u.rank.map(|n| n.to_string()).unwrap_or_else(|| "—".into()),
                        a.name,
                        a.total.points,
                        a.grade.as_deref().unwrap_or("暂不定等次"),
                        a.total.status.label()
                    );
                }
            }
            let refs: Vec<&probity_app::assessment::Ranked> = r.units.iter().collect();
            let dist = probity_app::assessment::distribution(&r.set, &refs);
            eprintln!(
                "{} 个单位，{}；用时 {:.2} 秒{}",
                r.units.len(),
                dist.iter()
                    .map(|(g, n)| format!("{g} {n}"))
                    .collect::<Vec<_>>()
                    .join("，"),
                took.as_secs_f64(),
                if r.closed.is_some() {
                    "（已归档的快照）"
                } else {
                    ""
                }
            );
            Ok(EXIT_OK)
        }
    }
}
