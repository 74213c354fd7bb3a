//! `probity records import` and `probity subjects import`: read a file row by row, validate each
//! row with the domain, hand valid rows to the store in batches, and report every rejected row
//! with its row number, column and reason, on screen and in `--errors OUT.csv`.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use probity_domain::record::FieldError;
use probity_ingest::{ColumnSpec, FileError, Format, TableReader, TableWriter};
use probity_store::{Channel, ImportOptions, Outcome, Store};
use serde_json::json;

use crate::columns::{self, header_of};

/// One rejected row, as the report shows it.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub row: usize,
    pub column: &'static str,
    pub code: String,
    pub message: String,
}

/// What an import did. `rejected` counts rows; `shown` keeps the first rejections for the screen.
#[derive(Debug, Default)]
pub struct Summary {
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub shown: Vec<Rejection>,
    pub rolled_back: bool,
}

const SHOWN: usize = 20;

/// Writes the rejected rows as they are found, so that memory does not grow with the file.
struct ErrorSink {
    writer: Option<TableWriter>,
    columns: &'static [ColumnSpec],
}

impl ErrorSink {
    fn new(path: Option<&Path>, columns: &'static [ColumnSpec]) -> Result<ErrorSink, FileError> {
        let writer = match path {
            None => None,
            Some(p) => {
                let mut headers: Vec<(&str, &str)> = vec![
                    ("row", "行号"),
                    ("column", "列"),
                    ("code", "错误代码"),
                    ("reason", "错误原因"),
                ];
                headers.extend(columns.iter().map(|c| (c.key, c.header)));
                let format = Format::from_path(p).unwrap_or(Format::Csv);
                Some(TableWriter::create(p, format, &headers)?)
            }
        };
        Ok(ErrorSink { writer, columns })
    }

    fn add(
        &mut self,
        summary: &mut Summary,
        r: Rejection,
        cells: &[String],
    ) -> Result<(), FileError> {
        if let Some(w) = &mut self.writer {
            let row = r.row.to_string();
            let mut line: Vec<&str> =
                vec![&row, header_of(self.columns, r.column), &r.code, &r.message];
            line.extend(cells.iter().map(String::as_str));
            line.resize(4 + self.columns.len(), "");
            w.write_row(&line)?;
        }
        if summary.shown.len() < SHOWN {
            summary.shown.push(r);
        }
        Ok(())
    }

    fn finish(self) -> Result<(), FileError> {
        if let Some(w) = self.writer {
            w.finish()?;
        }
        Ok(())
    }
}

fn field_rejections(row: usize, errs: Vec<FieldError>) -> Vec<Rejection> {
    errs.into_iter()
        .map(|e| Rejection {
            row,
            column: e.column,
            code: e.error.code.as_str().to_string(),
            message: e.error.message,
        })
        .collect()
}

fn progress_bar(total: u64, unit_bytes: bool) -> ProgressBar {
    let pb = ProgressBar::new(total.max(1));
    let template = if unit_bytes {
        "{spinner} 导入中 [{bar:30}] {bytes}/{total_bytes} {msg} 剩余 {eta}"
    } else {
        "{spinner} 导入中 [{bar:30}] {pos}/{len} 行 {msg}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb
}

pub struct RecordImportArgs<'a> {
    pub file: &'a Path,
    pub provider: &'a str,
    pub activate: bool,
    pub all_or_nothing: bool,
    pub errors: Option<PathBuf>,
    pub batch_size: usize,
    pub actor: String,
    pub today: NaiveDate,
    pub progress: bool,
}

/// Errors that end an import: the file cannot be read (exit 2) or something else failed (exit 1).
pub enum ImportFailure {
    File(FileError),
    Other(String),
}

impl From<FileError> for ImportFailure {
    fn from(e: FileError) -> Self {
        ImportFailure::File(e)
    }
}
impl From<probity_store::StoreError> for ImportFailure {
    fn from(e: probity_store::StoreError) -> Self {
        ImportFailure::Other(e.to_string())
    }
}

pub fn import_records(store: &Store, a: RecordImportArgs<'_>) -> Result<Summary, ImportFailure> {
    let provider = store.find_unit(a.provider)?;
    let catalog = store.catalog()?;
    let mut reader = TableReader::open(a.file, columns::RECORDS)?;
    let mut sink = ErrorSink::new(a.errors.as_deref(), columns::RECORDS)?;
    let source = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut import = store.start_import(ImportOptions {
        provider,
        actor: a.actor.clone(),
        channel: Channel::File,
        source,
        activate: a.activate,
        all_or_nothing: a.all_or_nothing,
    })?;
    let (_, total) = reader.progress();
    let by_bytes = reader.format() != Format::Xlsx;
    let pb = if a.progress {
        Some(progress_bar(total, by_bytes))
    } else {
        None
    };
    let mut summary = Summary::default();
    let mut batch = Vec::with_capacity(a.batch_size);
    // Cells of the rows in the batch, kept only until the store has answered, for the error file.
    let mut batch_cells: Vec<Vec<String>> = Vec::with_capacity(a.batch_size);

    let flush = |import: &mut probity_store::RecordImport<'_>,
                 batch: &mut Vec<(usize, probity_domain::record::NewRecord)>,
                 batch_cells: &mut Vec<Vec<String>>,
                 summary: &mut Summary,
                 sink: &mut ErrorSink|
     -> Result<(), ImportFailure> {
        if batch.is_empty() {
            return Ok(());
        }
        let outcomes = import.push(std::mem::take(batch))?;
        let cells = std::mem::take(batch_cells);
        for ((row, outcome), cells) in outcomes.into_iter().zip(cells) {
            match outcome {
                Outcome::Accepted { .. } => summary.accepted += 1,
                Outcome::Duplicate { .. } => summary.duplicates += 1,
                Outcome::Rejected(errs) => {
                    summary.rejected += 1;
                    for r in field_rejections(row, errs) {
                        sink.add(summary, r, &cells)?;
                    }
                }
            }
        }
        Ok(())
    };

    while let Some(item) = reader.next() {
        match item {
            Ok(row) => {
                let rec = columns::record_row(&row.cells);
                match rec.validate(&catalog, a.today) {
                    Ok(valid) => {
                        batch.push((row.number, valid));
                        batch_cells.push(row.cells);
                    }
                    Err(errs) => {
                        summary.rejected += 1;
                        for r in field_rejections(row.number, errs) {
                            sink.add(&mut summary, r, &row.cells)?;
                        }
                    }
                }
            }
            Err(e) if !e.fatal => {
                summary.rejected += 1;
                let r = Rejection {
                    row: e.row.unwrap_or(0),
                    column: "",
                    code: e.code.to_string(),
                    message: e.message,
                };
                sink.add(&mut summary, r, &[])?;
            }
            Err(e) => {
                drop(import);
                return Err(ImportFailure::File(e));
            }
        }
        if batch.len() >= a.batch_size {
            flush(
                &mut import,
                &mut batch,
                &mut batch_cells,
                &mut summary,
                &mut sink,
            )?;
        }
        if let Some(pb) = &pb {
            let (done, total) = reader.progress();
            if total > 0 {
                pb.set_length(total);
            }
            pb.set_position(done);
            pb.set_message(format!(
                "已接收 {} 重复 {} 拒绝 {}",
                summary.accepted, summary.duplicates, summary.rejected
            ));
        }
    }
    flush(
        &mut import,
        &mut batch,
        &mut batch_cells,
        &mut summary,
        &mut sink,
    )?;
    let commit = !(a.all_or_nothing && summary.rejected > 0);
    import.finish(commit)?;
    if !commit {
        summary.rolled_back = true;
        summary.accepted = 0;
        summary.duplicates = 0;
    }
    sink.finish()?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    Ok(summary)
}

pub struct RosterImportArgs<'a> {
    pub file: &'a Path,
    pub allow_check_override: bool,
    pub errors: Option<PathBuf>,
    pub actor: String,
}

/// Rosters are small (units and civil servants of one district), so the whole file is one
/// transaction: parents may be named after their children.
pub fn import_roster(store: &Store, a: RosterImportArgs<'_>) -> Result<Summary, ImportFailure> {
    let reader = TableReader::open(a.file, columns::ROSTER)?;
    let mut sink = ErrorSink::new(a.errors.as_deref(), columns::ROSTER)?;
    let mut summary = Summary::default();
    let mut valid = Vec::new();
    let mut cells_of = std::collections::HashMap::new();
    for item in reader {
        match item {
            Ok(row) => match columns::roster_row(&row.cells).validate(a.allow_check_override) {
                Ok(s) => {
                    valid.push((row.number, s));
                    cells_of.insert(row.number, row.cells);
                }
                Err(e) => {
                    summary.rejected += 1;
                    let column = match e.code.as_str() {
                        c if c.starts_with("USCC") => "uscc",
                        c if c.starts_with("ID_NUMBER") => "id_number",
                        "UNKNOWN_SUBJECT_KIND" => "kind",
                        _ => "",
                    };
                    let r = Rejection {
                        row: row.number,
                        column,
                        code: e.code.as_str().to_string(),
                        message: e.message,
                    };
                    sink.add(&mut summary, r, &row.cells)?;
                }
            },
            Err(e) if !e.fatal => {
                summary.rejected += 1;
                let r = Rejection {
                    row: e.row.unwrap_or(0),
                    column: "",
                    code: e.code.to_string(),
                    message: e.message,
                };
                sink.add(&mut summary, r, &[])?;
            }
            Err(e) => return Err(ImportFailure::File(e)),
        }
    }
    let report = store.import_roster(valid, &a.actor)?;
    summary.accepted = report.created;
    summary.updated = report.updated;
    summary.unchanged = report.unchanged;
    summary.rejected += report.rejected.len() as u64;
    for (row, column, e) in report.rejected {
        let cells = cells_of.remove(&row).unwrap_or_default();
        let r = Rejection {
            row,
            column,
            code: e.code.as_str().to_string(),
            message: e.message,
        };
        sink.add(&mut summary, r, &cells)?;
    }
    summary.shown.sort_by_key(|r| r.row);
    sink.finish()?;
    Ok(summary)
}

impl Summary {
    pub fn print(&self, columns: &[ColumnSpec], roster: bool) {
        for r in &self.shown {
            let col = header_of(columns, r.column);
            if col.is_empty() {
                eprintln!("第 {} 行：{}（{}）", r.row, r.message, r.code);
            } else {
                eprintln!("第 {} 行［{}］：{}（{}）", r.row, col, r.message, r.code);
            }
        }
        if self.rejected as usize > self.shown.len() {
            eprintln!("……另有更多被拒绝的行，完整清单请用 --errors OUT.csv 导出");
        }
        if self.rolled_back {
            eprintln!("存在被拒绝的行，已按 --all-or-nothing 撤销本次导入，数据库未作任何改动");
        }
        if roster {
            println!(
                "accepted {}, updated {}, unchanged {}, rejected {}",
                self.accepted, self.updated, self.unchanged, self.rejected
            );
        } else {
            println!(
                "accepted {}, duplicates {}, rejected {}",
                self.accepted, self.duplicates, self.rejected
            );
        }
    }

    pub fn to_json(&self, columns: &[ColumnSpec]) -> serde_json::Value {
        json!({
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "rolled_back": self.rolled_back,
            "errors": self.shown.iter().map(|r| json!({
                "row": r.row,
                "column": r.column,
                "header": header_of(columns, r.column),
                "code": r.code,
                "message": r.message,
            })).collect::<Vec<_>>(),
        })
    }
}
