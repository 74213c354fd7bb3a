//! What the terminal shows of an import: a progress bar while it runs, the rejected rows and the
//! one-line summary when it ends.

use indicatif::ProgressStyle;
use probity_app::columns::header_of;
use probity_app::import::{Progress, Summary};
use probity_ingest::ColumnSpec;

/// An indicatif bar driven by the import's progress reports (drawn only on a terminal).
pub struct ProgressBar {
    bar: indicatif::ProgressBar,
    styled: std::sync::atomic::AtomicBool,
}

impl ProgressBar {
    pub fn new() -> Self {
        ProgressBar {
            bar: indicatif::ProgressBar::new(1),
            styled: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn report(&self, p: Progress) {
        use std::sync::atomic::Ordering;
        if !self.styled.swap(true, Ordering::Relaxed) {
            let template = if p.by_bytes {
                "{spinner} 导入中 [{bar:30}] {bytes}/{total_bytes} {msg} 剩余 {eta}"
            } else {
                "{spinner} 导入中 [{bar:30}] {pos}/{len} 行 {msg}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                self.bar.set_style(style.progress_chars("=> "));
            }
        }
        if p.total > 0 {
            self.bar.set_length(p.total);
        }
        self.bar.set_position(p.done);
        self.bar.set_message(format!(
            "已接收 {} 重复 {} 拒绝 {}",
            p.accepted, p.duplicates, p.rejected
        ));
    }
}

/// A plain counting bar (drawn only on a terminal), e.g. for `reindex`.
pub fn progress_bar(total: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{spinner}} {what} [{{bar:30}}] {{pos}}/{{len}} 条"
    )) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

impl Drop for ProgressBar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

pub fn print_summary(s: &Summary, columns: &[ColumnSpec], roster: bool) {
    for r in &s.shown {
        let col = header_of(columns, r.column);
        if col.is_empty() {
            eprintln!("第 {} 行：{}（{}）", r.row, r.message, r.code);
        } else {
            eprintln!("第 {} 行［{}］：{}（{}）", r.row, col, r.message, r.code);
        }
    }
    if s.rejected as usize > s.shown.len() {
        eprintln!("……另有更多被拒绝的行，完整清单请用 --errors OUT.csv 导出");
    }
    if s.rolled_back {
        eprintln!("存在被拒绝的行，已按 --all-or-nothing 撤销本次导入，数据库未作任何改动");
    }
    if roster {
        println!(
            "accepted {}, updated {}, unchanged {}, rejected {}",
            s.accepted, s.updated, s.unchanged, s.rejected
        );
    } else {
        println!(
            "accepted {}, duplicates {}, rejected {}",
            s.accepted, s.duplicates, s.rejected
        );
    }
}
