//! [`TableWriter`]: streaming exports and error reports.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Format as XlsxFormat, FormatBorder, Workbook, XlsxError};

use crate::cell::escape_csv_text;
use crate::error::code;
use crate::{FileError, Format};

/// Excel's last row (1-based) and cell text limit.
const XLSX_MAX_ROWS: u64 = 1_048_576;
const XLSX_MAX_CELL_CHARS: usize = 32_767;
/// Excel's column limit.
const XLSX_MAX_COLS: usize = 16_384;

/// Name of the data sheet in exports and templates.
pub(crate) const DATA_SHEET: &str = "数据";

enum Inner {
    Csv(Box<csv::Writer<Box<dyn Write>>>),
    Jsonl(BufWriter<Box<dyn Write>>),
    Xlsx {
        workbook: Box<Workbook>,
        path: PathBuf,
    },
}

/// Streaming table writer for exports and error reports.
///
/// * CSV: UTF-8 with BOM, Chinese headers, CRLF line ends (so Excel on Chinese
///   Windows opens it correctly). Text that Excel would evaluate as a formula
///   (starting with `=`, `+`, `-`, `@`) is prefixed with `'` (CSV-injection
///   guard); [`crate::TableReader`] removes the prefix again on import.
/// * JSONL: one object per row keyed by the English keys, in header order,
///   values as strings.
/// * XLSX: sheet “数据”, bold Chinese header row, frozen header, constant-memory
///   mode (rows go to a temporary file, not to memory); cells are text.
///
/// Rows shorter than the header are padded with empty cells; longer rows are
/// an error.
pub struct TableWriter {
    inner: Inner,
    keys: Vec<String>,
    headers: Vec<String>,
    rows: u64,
}

impl std::fmt::Debug for TableWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let format = match self.inner {
            Inner::Csv(_) => Format::Csv,
            Inner::Jsonl(_) => Format::Jsonl,
            Inner::Xlsx { .. } => Format::Xlsx,
        };
        f.debug_struct("TableWriter")
            .field("format", &format)
            .field("keys", &self.keys)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

fn xlsx_error(err: XlsxError) -> FileError {
    match err {
        XlsxError::IoError(e) => FileError::unwritable_io(&e),
        XlsxError::TempFileError(_, e) => {
            FileError::fatal(code::FILE_UNWRITABLE, format!("无法创建临时文件（{e}）"))
        }
        other => FileError::unwritable(other),
    }
}

/// Display width in Excel column units: CJK and other wide characters count 2.
pub(crate) fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

impl TableWriter {
    /// Creates `path` and writes the header row. `headers` are
    /// `(English key, Chinese header)` pairs.
    pub fn create(
        path: &Path,
        format: Format,
        headers: &[(&str, &str)],
    ) -> Result<TableWriter, FileError> {
        // Create the file now so that an unwritable path fails early.
        let file = File::create(path).map_err(|e| FileError::unwritable_io(&e))?;
        match format {
            Format::Csv | Format::Jsonl => TableWriter::to_writer(Box::new(file), format, headers),
            Format::Xlsx => {
                drop(file);
                TableWriter::create_xlsx(path, headers)
            }
        }
    }

    /// Writes CSV or JSONL to any writer (e.g. standard output). XLSX needs a
    /// file: it yields `FILE_FORMAT`.
    pub fn to_writer(
        w: Box<dyn Write>,
        format: Format,
        headers: &[(&str, &str)],
    ) -> Result<TableWriter, FileError> {
        let keys: Vec<String> = headers.iter().map(|(k, _)| k.to_string()).collect();
        let names: Vec<String> = headers.iter().map(|(_, h)| h.to_string()).collect();
        let inner = match format {
            Format::Xlsx => {
                return Err(FileError::fatal(
                    code::FILE_FORMAT,
                    "Excel 格式需要指定输出文件",
                ));
            }
            Format::Csv => {
                let mut w = w;
                w.write_all(b"\xEF\xBB\xBF")
                    .map_err(|e| FileError::unwritable_io(&e))?;
                let mut writer = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(w);
                writer.write_record(&names).map_err(csv_error)?;
                Inner::Csv(Box::new(writer))
            }
            Format::Jsonl => Inner::Jsonl(BufWriter::new(w)),
        };
        Ok(TableWriter {
            inner,
            keys,
            headers: names,
            rows: 0,
        })
    }

    fn create_xlsx(path: &Path, headers: &[(&str, &str)]) -> Result<TableWriter, FileError> {
        if headers.len() > XLSX_MAX_COLS {
            return Err(FileError::fatal(
                code::FILE_UNWRITABLE,
                format!("列数超过 Excel 上限 {XLSX_MAX_COLS} 列，请改用 CSV 导出"),
            ));
        }
        let mut workbook = Box::new(Workbook::new());
        let bold = XlsxFormat::new().set_bold().set_border(FormatBorder::Thin);
        {
            let ws = workbook
                .add_worksheet_with_constant_memory()
                .map_err(xlsx_error)?;
            ws.set_name(DATA_SHEET).map_err(xlsx_error)?;
            for (i, (_, header)) in headers.iter().enumerate() {
                let col = i as u16;
                let width = (display_width(header) + 4).clamp(10, 50) as f64;
                ws.set_column_width(col, width).map_err(xlsx_error)?;
                ws.write_string_with_format(0, col, *header, &bold)
                    .map_err(xlsx_error)?;
            }
            ws.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        }
        Ok(TableWriter {
            inner: Inner::Xlsx {
                workbook,
                path: path.to_path_buf(),
            },
            keys: headers.iter().map(|(k, _)| k.to_string()).collect(),
            headers: headers.iter().map(|(_, h)| h.to_string()).collect(),
            rows: 0,
        })
    }

    /// Writes one row; `cells` are in header order.
    pub fn write_row(&mut self, cells: &[&str]) -> Result<(), FileError> {
        let width = self.keys.len();
        if cells.len() > width {
            return Err(FileError::fatal(
                code::FILE_UNWRITABLE,
                format!("数据列数（{}）多于表头列数（{width}）", cells.len()),
            ));
        }
        let cell = |i: usize| cells.get(i).copied().unwrap_or("");
        match &mut self.inner {
            Inner::Csv(w) => {
                w.write_record((0..width).map(|i| escape_csv_text(cell(i)).into_owned()))
                    .map_err(csv_error)?;
            }
            Inner::Jsonl(w) => {
                let mut line = String::with_capacity(64 * width.max(1));
                line.push('{');
                for (i, key) in self.keys.iter().enumerate() {
                    if i > 0 {
                        line.push(',');
                    }
                    line.push_str(&json_string(key));
                    line.push(':');
                    line.push_str(&json_string(cell(i)));
                }
                line.push_str("}\n");
                w.write_all(line.as_bytes())
                    .map_err(|e| FileError::unwritable_io(&e))?;
            }
            Inner::Xlsx { workbook, .. } => {
                let row = self.rows + 1;
                if row >= XLSX_MAX_ROWS {
                    return Err(FileError::fatal(
                        code::FILE_UNWRITABLE,
                        format!("数据超过 Excel 最大行数 {XLSX_MAX_ROWS} 行，请改用 CSV 导出"),
                    ));
                }
                let ws = workbook.worksheet_from_index(0).map_err(xlsx_error)?;
                for i in 0..width {
                    let text = cell(i);
                    if text.is_empty() {
                        continue;
                    }
                    if text.chars().count() > XLSX_MAX_CELL_CHARS {
                        let header = self.headers.get(i).map(String::as_str).unwrap_or("");
                        return Err(FileError::fatal(
                            code::FILE_UNWRITABLE,
                            format!(
                                "第 {} 行“{header}”列超过 Excel 单元格 {XLSX_MAX_CELL_CHARS} 字符上限，请改用 CSV 导出",
                                row + 1
                            ),
                        ));
                    }
                    ws.write_string(row as u32, i as u16, text)
                        .map_err(xlsx_error)?;
                }
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Flushes (XLSX: assembles and saves the workbook) and returns the number
    /// of data rows written.
    pub fn finish(self) -> Result<u64, FileError> {
        match self.inner {
            Inner::Csv(mut w) => w.flush().map_err(|e| FileError::unwritable_io(&e))?,
            Inner::Jsonl(mut w) => w.flush().map_err(|e| FileError::unwritable_io(&e))?,
            Inner::Xlsx { mut workbook, path } => workbook.save(&path).map_err(xlsx_error)?,
        }
        Ok(self.rows)
    }
}

fn json_string(s: &str) -> String {
    // Serialising a &str cannot fail; fall back to an empty string regardless.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

fn csv_error(err: csv::Error) -> FileError {
    match err.into_kind() {
        csv::ErrorKind::Io(e) => FileError::unwritable_io(&e),
        other => FileError::unwritable(format!("{other:?}")),
    }
}
