//! # probity-ingest
//!
//! This crate owns the **file formats officials exchange with Probity** and
//! nothing else: it knows bytes, encodings, spreadsheets and header names, but
//! not the domain. Callers describe the columns they expect with
//! [`ColumnSpec`]s (English key + Chinese header + aliases) and get back rows of
//! trimmed strings aligned with those specs; validating the values is the
//! caller's job.
//!
//! * Reading ([`TableReader`]): CSV in UTF-8, UTF-8 with BOM, GBK/GB18030 (as
//!   Excel writes it on Chinese Windows) and UTF-16 with BOM (Excel's “Unicode
//!   文本”), comma- or tab-separated; `.xlsx` workbooks (first visible
//!   worksheet, or the one named “数据”); JSONL. Reading streams: memory does
//!   not grow with file size for CSV/JSONL, and `.xlsx` sheets are read cell by
//!   cell on a helper thread (only the shared-string table is held in memory).
//! * Bounds ([`Limits`]): what one file may ask of a reader — the inflated size
//!   of an `.xlsx` and of each of its parts, its shared strings, the cells in a
//!   row, the bytes of a cell and of a row — is checked before the memory is
//!   spent, by every entry point (the CLI and the server share the defaults).
//!   A file past a limit is refused with a fatal error naming it.
//! * Writing: [`write_template`] produces the `.xlsx` import templates (header
//!   row, sample row, drop-downs, text-formatted code columns, a 说明 sheet);
//!   [`TableWriter`] streams exports and error reports as CSV (UTF-8 with BOM),
//!   JSONL or `.xlsx` (constant-memory mode).
//!
//! Every failure is a [`FileError`] with a stable code and a Chinese message
//! that can be shown to the official as is. No input makes this crate panic.

mod cell;
mod csv_parse;
mod error;
mod header;
mod jsonl;
mod limits;
mod reader;
mod source;
mod template;
mod writer;
mod xlsx_check;
mod xlsx_read;

use std::path::Path;

pub use error::{FileError, code};
pub use limits::Limits;
pub use reader::TableReader;
pub use template::{TemplateColumn, write_template};
pub use writer::TableWriter;

/// A table file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma- (or tab-) separated text.
    Csv,
    /// Office Open XML workbook.
    Xlsx,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// Detects the format of a file.
    ///
    /// By extension (case-insensitive): `.csv`/`.txt`/`.tsv` → CSV,
    /// `.xlsx`/`.xlsm` → XLSX, `.jsonl`/`.ndjson`/`.json` → JSONL; legacy
    /// `.xls`/`.et` are rejected with `FILE_FORMAT`. Otherwise the content is
    /// sniffed: a ZIP header means XLSX, an OLE2 header means a legacy workbook
    /// (`FILE_FORMAT`), a first non-space character `{` means JSONL, anything
    /// else CSV.
    pub fn from_path(path: &Path) -> Result<Format, FileError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv" | "txt" | "tsv") => return Ok(Format::Csv),
            Some("xlsx" | "xlsm") => return Ok(Format::Xlsx),
            Some("jsonl" | "ndjson" | "json") => return Ok(Format::Jsonl),
            Some("xls" | "et") => return Err(FileError::xls()),
            _ => {}
        }
        let prefix = reader::read_file_prefix(path, 4096)?;
        Ok(Format::sniff(&prefix)?.unwrap_or(Format::Csv))
    }

    /// Guesses a format from the first bytes of a file; `Ok(None)` when the
    /// bytes say nothing (empty, or plain text that is not JSON).
    pub(crate) fn sniff(prefix: &[u8]) -> Result<Option<Format>, FileError> {
        if source::is_zip(prefix) {
            return Ok(Some(Format::Xlsx));
        }
        if source::is_ole(prefix) {
            return Err(FileError::xls());
        }
        let text = prefix.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(prefix);
        match text.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Ok(Some(Format::Jsonl)),
            Some(_) => Ok(Some(Format::Csv)),
            None => Ok(None),
        }
    }

    /// Parses a format name: `"csv"`, `"xlsx"` or `"jsonl"` (case-insensitive;
    /// `"ndjson"` and `"json"` are accepted for JSONL).
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// The canonical name (`"csv"`, `"xlsx"`, `"jsonl"`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Jsonl => "jsonl",
        }
    }

    /// The usual file extension, without the dot (same as [`Format::name`]).
    pub fn extension(self) -> &'static str {
        self.name()
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One expected column.
///
/// `key` is the English alias (e.g. `"document_no"`), `header` the Chinese
/// header officials write (e.g. `"决定文书号"`). Header matching trims, strips
/// a BOM, ignores a leading/trailing `*` or a trailing `（必填）`/`(必填)`,
/// treats full-width and half-width forms (parentheses, letters, digits) as
/// equal, ignores whitespace inside the header and compares English letters
/// case-insensitively. Unknown extra columns are ignored. Extra accepted names
/// may be given in `aliases`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec {
    /// English key (also the JSONL key).
    pub key: &'static str,
    /// Chinese header as written in templates.
    pub header: &'static str,
    /// Whether the column must be present in the header row (CSV/XLSX).
    pub required: bool,
    /// Other accepted header names.
    pub aliases: &'static [&'static str],
}

impl ColumnSpec {
    /// A column without aliases.
    pub const fn new(key: &'static str, header: &'static str, required: bool) -> ColumnSpec {
        ColumnSpec {
            key,
            header,
            required,
            aliases: &[],
        }
    }
}

/// A data row.
///
/// `number` is the row number a person sees: for CSV/XLSX the physical row in
/// the sheet/file (the header is normally row 1 and the first data row row 2;
/// skipped blank rows are counted; a CSV record whose quoted cell spans several
/// lines counts as one row, as in Excel); for JSONL the 1-based line number.
/// `cells` is aligned with the `ColumnSpec` slice given to `open`; a missing
/// column or empty cell is `""`. Cells are trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Row number as a person sees it.
    pub number: usize,
    /// One trimmed cell per `ColumnSpec`.
    pub cells: Vec<String>,
}

impl Row {
    /// The cell of the column with the given spec index, `""` if out of range.
    pub fn cell(&self, index: usize) -> &str {
        self.cells.get(index).map(String::as_str).unwrap_or("")
    }
}
