//! `probity records import` and `probity subjects import`: read a file row by row, validate each
//! row with the domain, hand valid rows to the store in batches, and report every rejected row
//! with its row number, column and reason, on screen and in `--errors OUT.csv`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use chrono::NaiveDate;
use probity_domain::record::{FieldError, NewRecord};
use probity_ingest::{ColumnSpec, FileError, Format, TableReader, TableWriter};
use probity_store::{Channel, ImportOptions, Outcome, Prepared, Store};
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

/// How many rejected rows the summary keeps for the screen; the errors file has them all.
pub const SHOWN: usize = 20;

/// Writes the rejected rows as they are found, so that memory does not grow with the file.
pub(crate) struct ErrorSink {
    writer: Option<TableWriter>,
    columns: &'static [ColumnSpec],
    pub(crate) max_shown: usize,
}

impl ErrorSink {
    pub(crate) fn new(
        path: Option<&Path>,
        columns: &'static [ColumnSpec],
    ) -> Result<ErrorSink, FileError> {
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
        Ok(ErrorSink {
            writer,
            columns,
            max_shown: SHOWN,
        })
    }

    pub(crate) fn add(
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
        if summary.shown.len() < self.max_shown {
            summary.shown.push(r);
        }
        Ok(())
    }

    /// One rejected row with all the faults of its fields.
    pub(crate) fn reject_fields(
        &mut self,
        summary: &mut Summary,
        row: usize,
        errs: Vec<FieldError>,
        cells: &[String],
    ) -> Result<(), FileError> {
        summary.rejected += 1;
        for r in field_rejections(row, errs) {
            self.add(summary, r, cells)?;
        }
        Ok(())
    }

    /// A row the file itself could not give (bad JSON line, undecodable bytes).
    pub(crate) fn reject_unreadable(
        &mut self,
        summary: &mut Summary,
        e: FileError,
    ) -> Result<(), FileError> {
        summary.rejected += 1;
        let r = Rejection {
            row: e.row.unwrap_or(0),
            column: "",
            code: e.code.to_string(),
            message: e.message,
        };
        self.add(summary, r, &[])
    }

    pub(crate) fn finish(self) -> Result<(), FileError> {
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

/// Where an import stands, for a progress bar or a page that polls.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    /// Bytes (CSV, JSONL) or rows (XLSX) read so far, of `total` (0 when unknown).
    pub done: u64,
    pub total: u64,
    pub by_bytes: bool,
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
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
    /// Called after every batch.
    pub progress: Option<&'a (dyn Fn(Progress) + Sync)>,
    /// The channel and source name recorded as provenance (file name for the CLI, upload for the web).
    pub channel: Channel,
}

/// Errors that end an import: the file cannot be read (exit 2) or something else failed (exit 1).
pub enum ImportFailure {
    /// The file could not be read (a person's problem: named with its code).
    File(FileError),
    /// The store refused (a domain rule, answered 4xx) or failed (the database, answered 500
    /// and logged; its text never reaches a client).
    Store(probity_store::StoreError),
}

impl From<FileError> for ImportFailure {
    fn from(e: FileError) -> Self {
        ImportFailure::File(e)
    }
}
impl From<probity_store::StoreError> for ImportFailure {
    fn from(e: probity_store::StoreError) -> Self {
        ImportFailure::Store(e)
    }
}

/// A row as the reading thread hands it over: validated by the domain, or not.
enum Item {
    Valid(usize, NewRecord, Vec<String>),
    Invalid(usize, Vec<FieldError>, Vec<String>),
    Unreadable(FileError),
}

/// What the reading thread sends: rows the domain refused, and the others prepared for the store
/// (subjects resolved, content hashed), with their cells for the error report.
struct Chunk {
    refused: Vec<Item>,
    prepared: Vec<Prepared>,
    prepared_cells: Vec<Vec<String>>,
}

/// Reading, decoding and validating run on one thread while the store writes on another: the
/// import uses both cores, and the bounded channel keeps memory flat whatever the file size.
pub fn import_records(store: &Store, a: RecordImportArgs<'_>) -> Result<Summary, ImportFailure> {
    import_records_showing(store, a, SHOWN)
}

/// As `import_records`, keeping up to `max_shown` rejected rows in the summary (an API answer
/// carries the whole report; a terminal shows the first few).
pub fn import_records_showing(
    store: &Store,
    a: RecordImportArgs<'_>,
    max_shown: usize,
) -> Result<Summary, ImportFailure> {
    let provider = store.find_unit(a.provider)?;
    let catalog = store.catalog()?;
    let reader = TableReader::open(a.file, columns::RECORDS)?;
    let mut sink = ErrorSink::new(a.errors.as_deref(), columns::RECORDS)?;
    sink.max_shown = max_shown;
    let source = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut import = store.start_import(ImportOptions {
        provider,
        actor: a.actor.clone(),
        channel: a.channel,
        source,
        activate: a.activate,
        all_or_nothing: a.all_or_nothing,
    })?;
    let (_, total) = reader.progress();
    let by_bytes = reader.format() != Format::Xlsx;
    let done = AtomicU64::new(0);
    let total_seen = AtomicU64::new(total);
    let mut summary = Summary::default();
    let mut preparer = import.preparer()?;
    let (tx, rx) = mpsc::sync_channel::<Result<Chunk, ImportFailure>>(1);
    // The original cells of accepted rows only matter for the error file.
    let keep_cells = sink.writer.is_some();

    let result = std::thread::scope(|scope| -> Result<(), ImportFailure> {
        let (catalog, done, total_seen, batch_size, today) =
            (&catalog, &done, &total_seen, a.batch_size, a.today);
        scope.spawn(move || {
            let mut reader = reader;
            let mut chunk = Vec::with_capacity(batch_size);
            // Validates, prepares and sends one chunk; false when the writer has stopped.
            let mut send = |chunk: Vec<Item>, reader: &TableReader| -> bool {
                let (d, t) = reader.progress();
                done.store(d, Ordering::Relaxed);
                total_seen.store(t, Ordering::Relaxed);
                let mut refused = Vec::new();
                let mut valid = Vec::with_capacity(chunk.len());
                let mut prepared_cells = Vec::with_capacity(chunk.len());
                for item in chunk {
                    match item {
                        Item::Valid(row, rec, cells) => {
                            valid.push((row, rec));
                            prepared_cells.push(if keep_cells { cells } else { Vec::new() });
                        }
                        other => refused.push(other),
                    }
                }
                let msg = match preparer.prepare(valid) {
                    Ok(prepared) => Ok(Chunk {
                        refused,
                        prepared,
                        prepared_cells,
                    }),
                    Err(e) => Err(ImportFailure::from(e)),
                };
                let failed = msg.is_err();
                tx.send(msg).is_ok() && !failed
            };
            while let Some(item) = reader.next() {
                let item = match item {
                    Ok(row) => match columns::record_row(&row.cells).validate(catalog, today) {
                        Ok(valid) => Item::Valid(row.number, valid, row.cells),
                        Err(errs) => Item::Invalid(row.number, errs, row.cells),
                    },
                    Err(e) if !e.fatal => Item::Unreadable(e),
                    Err(e) => {
                        let _ = tx.send(Err(ImportFailure::File(e)));
                        return;
                    }
                };
                chunk.push(item);
                if chunk.len() >= batch_size
                    && !send(
                        std::mem::replace(&mut chunk, Vec::with_capacity(batch_size)),
                        &reader,
                    )
                {
                    return;
                }
            }
            if !chunk.is_empty() {
                send(chunk, &reader);
            } else {
                let (d, t) = reader.progress();
                done.store(d, Ordering::Relaxed);
                total_seen.store(t, Ordering::Relaxed);
            }
        });

        let (mut waited, mut writing) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
        let mut clock = std::time::Instant::now();
        for chunk in rx {
            waited += clock.elapsed();
            clock = std::time::Instant::now();
            let chunk = chunk?;
            // Rejections of this chunk, from the domain and from the store, in row order.
            let mut rejected: Vec<(usize, Vec<FieldError>, Vec<String>)> = Vec::new();
            let mut unreadable: Vec<FileError> = Vec::new();
            for item in chunk.refused {
                match item {
                    Item::Invalid(row, errs, cells) => rejected.push((row, errs, cells)),
                    Item::Unreadable(e) => unreadable.push(e),
                    Item::Valid(..) => {}
                }
            }
            if !chunk.prepared.is_empty() {
                let outcomes = import.push_prepared(chunk.prepared)?;
                for ((row, outcome), cells) in outcomes.into_iter().zip(chunk.prepared_cells) {
                    match outcome {
                        Outcome::Accepted { .. } => summary.accepted += 1,
                        Outcome::Duplicate { .. } => summary.duplicates += 1,
                        Outcome::Rejected(errs) => rejected.push((row, errs, cells)),
                    }
                }
            }
            rejected.sort_by_key(|r| r.0);
            unreadable.sort_by_key(|e| e.row);
            for e in unreadable {
                sink.reject_unreadable(&mut summary, e)?;
            }
            for (row, errs, cells) in rejected {
                sink.reject_fields(&mut summary, row, errs, &cells)?;
            }
            if let Some(report) = a.progress {
                report(Progress {
                    done: done.load(Ordering::Relaxed),
                    total: total_seen.load(Ordering::Relaxed),
                    by_bytes,
                    accepted: summary.accepted,
                    duplicates: summary.duplicates,
                    rejected: summary.rejected,
                });
            }
            writing += clock.elapsed();
            clock = std::time::Instant::now();
        }
        tracing::debug!(?waited, ?writing, "import writer");
        Ok(())
    });
    // On any failure the import is dropped here, which rolls back its open transaction.
    result?;
    summary.shown.sort_by_key(|r| r.row);
    let commit = !(a.all_or_nothing && summary.rejected > 0);
    import.finish(commit)?;
    if !commit {
        summary.rolled_back = true;
        summary.accepted = 0;
        summary.duplicates = 0;
    }
    sink.finish()?;
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
            Err(e) if !e.fatal => sink.reject_unreadable(&mut summary, e)?,
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

/// One row of an upload's preview: its cells and what is wrong with it, checked as the import
/// will check it (the record's fields against the catalog and today; a roster row's own rules),
/// so that a row with 决定日期 2026-13-02 is marked before the import, not after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    pub number: usize,
    pub cells: Vec<String>,
    /// The row could not be read (a broken line, a cell too long): why.
    pub unreadable: Option<String>,
    /// What is wrong with a row that was read, each naming its column once
    /// (`决定日期：日期不存在：2026-13-02`).
    pub problems: Vec<String>,
}

/// The first `limit` rows of an upload, each checked. `Err` names why the file cannot be read.
pub fn preview(
    path: &Path,
    roster: bool,
    catalog: &probity_domain::catalog::Catalog,
    today: NaiveDate,
    limit: usize,
) -> Result<Vec<PreviewRow>, String> {
    let columns = if roster {
        columns::ROSTER
    } else {
        columns::RECORDS
    };
    let reader = TableReader::open(path, columns).map_err(|e| e.message)?;
    let mut rows = Vec::new();
    for item in reader.take(limit) {
        match item {
            Ok(r) => {
                let problems = if roster {
                    match columns::roster_row(&r.cells).validate(false) {
                        Ok(_) => Vec::new(),
                        Err(e) => vec![e.message],
                    }
                } else {
                    match columns::record_row(&r.cells).validate(catalog, today) {
                        Ok(_) => Vec::new(),
                        Err(errs) => errs
                            .into_iter()
                            .map(|e| {
                                let heading = header_of(columns, e.column);
                                if e.error.message.starts_with(heading) {
                                    e.error.message
                                } else {
                                    format!("{heading}：{}", e.error.message)
                                }
                            })
                            .collect(),
                    }
                };
                rows.push(PreviewRow {
                    number: r.number,
                    cells: r.cells,
                    unreadable: None,
                    problems,
                });
            }
            Err(e) if e.fatal => return Err(e.message),
            Err(e) => rows.push(PreviewRow {
                number: e.row.unwrap_or(0),
                cells: vec![],
                unreadable: Some(e.message),
                problems: Vec::new(),
            }),
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod preview_tests {
    use super::*;

    #[test]
    fn the_preview_marks_a_bad_row_and_names_its_column_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        let header = columns::RECORDS
            .iter()
            .map(|c| c.header)
            .collect::<Vec<_>>()
            .join(",");
        let good = "天津市滨海新区新河街道办事处,11120116MB00000406,,PAYMENT_ARREARS,津滨财〔2025〕1号,2025-05-01,天津市滨海新区财政局,逾期付款,,责令支付,,,";
        let bad = "天津市滨海新区新河街道办事处,11120116MB00000406,,PAYMENT_ARREARS,津滨财〔2025〕2号,2026-13-02,天津市滨海新区财政局,逾期付款,,责令支付,,,";
        std::fs::write(&path, format!("{header}\n{good}\n{bad}\n")).unwrap();
        let catalog =
            probity_domain::catalog::Catalog::new(probity_domain::catalog::default_catalog());
        let today = NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
        let rows = preview(&path, false, &catalog, today, 10).unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[0].problems.is_empty(), "{:?}", rows[0]);
        assert_eq!(rows[1].number, 3);
        assert_eq!(rows[1].problems.len(), 1, "{:?}", rows[1]);
        let p = &rows[1].problems[0];
        assert!(
            p.starts_with("决定日期：") && p.contains("2026-13-02"),
            "{p}"
        );
        assert_eq!(p.matches("决定日期").count(), 1, "{p}");
    }
}
