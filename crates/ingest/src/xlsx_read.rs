//! Streaming `.xlsx` reading.
//!
//! calamine's streaming cell reader borrows the workbook, so the workbook and
//! its reader live on a helper thread that sends finished rows through a
//! bounded channel: memory stays bounded by the channel and one row, and the
//! `TableReader` stays `Send` and `'static`. If calamine panicked on a
//! malicious file, the thread would die and the reader would report
//! `XLSX_CORRUPT` instead of taking the caller down.

use std::fs::File;
use std::io::BufReader;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx, XlsxError};

use crate::FileError;
use crate::cell::{excel_datetime_text, excel_number_text, iso_date_text};
use crate::csv_parse::MAX_FIELDS;

/// Rows buffered between the helper thread and the reader.
const CHANNEL_ROWS: usize = 256;

/// A non-blank worksheet row: its 1-based number and its non-empty cells as
/// `(0-based column, text)`, in column order.
pub(crate) struct SheetRow {
    pub(crate) number: usize,
    pub(crate) cells: Vec<(usize, String)>,
}

enum Msg {
    /// Number of rows declared by the sheet (0 if unknown).
    Total(u64),
    Row(SheetRow),
    Fatal(FileError),
    Done,
}

/// The receiving end of a worksheet being read on a helper thread.
pub(crate) struct SheetStream {
    rx: Receiver<Msg>,
    total: u64,
    ended: bool,
}

/// What the stream produced next.
pub(crate) enum SheetItem {
    Row(SheetRow),
    Fatal(FileError),
    End,
}

impl SheetStream {
    /// Starts reading `file`. `is_ole` says the file starts with an OLE2
    /// header (legacy `.xls`, or an encrypted `.xlsx`).
    pub(crate) fn spawn(file: File, is_ole: bool) -> Result<SheetStream, FileError> {
        let (tx, rx) = sync_channel(CHANNEL_ROWS);
        std::thread::Builder::new()
            .name("probity-xlsx-read".into())
            .spawn(move || {
                let msg = match read_sheet(file, is_ole, &tx) {
                    Ok(()) => Msg::Done,
                    Err(e) => Msg::Fatal(e),
                };
                // The receiver may be gone (reader dropped early): nothing to do.
                let _ = tx.send(msg);
            })
            .map_err(|e| FileError::unreadable(&e))?;
        Ok(SheetStream {
            rx,
            total: 0,
            ended: false,
        })
    }

    /// Declared number of rows (0 if unknown or not yet known).
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    pub(crate) fn next_item(&mut self) -> SheetItem {
        if self.ended {
            return SheetItem::End;
        }
        loop {
            match self.rx.recv() {
                Ok(Msg::Total(t)) => self.total = t,
                Ok(Msg::Row(r)) => return SheetItem::Row(r),
                Ok(Msg::Fatal(e)) => {
                    self.ended = true;
                    return SheetItem::Fatal(e);
                }
                Ok(Msg::Done) => {
                    self.ended = true;
                    return SheetItem::End;
                }
                Err(_) => {
                    // The helper thread died without a final message (panic).
                    self.ended = true;
                    return SheetItem::Fatal(FileError::xlsx_corrupt());
                }
            }
        }
    }
}

fn map_open_error(err: XlsxError, is_ole: bool) -> FileError {
    match err {
        XlsxError::Password => FileError::fatal(
            crate::code::FILE_FORMAT,
            "Excel 文件设置了打开密码：请取消密码保护后重新上传",
        ),
        _ if is_ole => FileError::xls(),
        _ => FileError::xlsx_corrupt(),
    }
}

/// Picks the sheet to read: a visible worksheet named “数据” if any, else the
/// first visible worksheet, else the first worksheet.
fn choose_sheet(wb: &Xlsx<BufReader<File>>) -> Option<String> {
    let sheets = wb.sheets_metadata();
    let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    let visible = || worksheets().filter(|s| s.visible == SheetVisible::Visible);
    visible()
        .find(|s| s.name.trim() == "数据")
        .or_else(|| visible().next())
        .or_else(|| worksheets().next())
        .map(|s| s.name.clone())
}

fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => excel_number_text(*f),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => excel_datetime_text(dt),
        DataRef::DateTimeIso(s) => iso_date_text(s),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

/// Sends a finished row; `false` if the reader has gone away.
fn send_row(tx: &SyncSender<Msg>, number: u32, cells: &mut Vec<(usize, String)>) -> bool {
    if cells.is_empty() {
        return true;
    }
    cells.sort_by_key(|(c, _)| *c);
    let row = SheetRow {
        number: number as usize + 1,
        cells: std::mem::take(cells),
    };
    tx.send(Msg::Row(row)).is_ok()
}

fn read_sheet(file: File, is_ole: bool, tx: &SyncSender<Msg>) -> Result<(), FileError> {
    let mut wb: Xlsx<BufReader<File>> =
        Xlsx::new(BufReader::new(file)).map_err(|e| map_open_error(e, is_ole))?;
    let name = choose_sheet(&wb).ok_or_else(FileError::xlsx_corrupt)?;
    let mut cells_reader = wb
        .worksheet_cells_reader(&name)
        .map_err(|_| FileError::xlsx_corrupt())?;
    let dims = cells_reader.dimensions();
    let total = if dims.end.0 == 0 && dims.end.1 == 0 {
        0
    } else {
        u64::from(dims.end.0) + 1
    };
    if tx.send(Msg::Total(total)).is_err() {
        return Ok(());
    }

    let mut current: Option<u32> = None;
    let mut cells: Vec<(usize, String)> = Vec::new();
    loop {
        let cell = match cells_reader.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(_) => return Err(FileError::xlsx_corrupt()),
        };
        let (row, col) = cell.get_position();
        if current != Some(row) {
            let sent = current.is_none_or(|r| send_row(tx, r, &mut cells));
            if !sent {
                return Ok(());
            }
            current = Some(row);
        }
        let col = col as usize;
        if col >= MAX_FIELDS || cells.len() >= MAX_FIELDS {
            continue;
        }
        let text = cell_text(cell.get_value());
        if !text.trim().is_empty() {
            cells.push((col, text));
        }
    }
    if let Some(r) = current {
        send_row(tx, r, &mut cells);
    }
    Ok(())
}
