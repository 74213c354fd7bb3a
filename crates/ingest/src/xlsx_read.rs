//! Streaming `.xlsx` reading.
//!
//! calamine's streaming cell reader borrows the workbook, so the workbook and
//! its reader live on a helper thread that sends finished rows, in batches,
//! through a bounded channel: memory stays bounded by the channel and one row,
//! and the `TableReader` stays `Send` and `'static`. If calamine panicked on a
//! malicious file, the thread would die and the reader would report
//! `XLSX_CORRUPT` instead of taking the caller down.
//!
//! Before calamine opens the file, [`xlsx_check`](crate::xlsx_check) holds it
//! to the [`Limits`]; while the sheet is read, each row is held to them too.

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufReader;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx, XlsxError};

use crate::cell::{excel_datetime_text, excel_number_text, iso_date_text};
use crate::{FileError, Limits};

/// Rows sent at once, at most.
const BATCH_ROWS: usize = 64;
/// Cell text sent at once: a batch is sent when it reaches this (one row alone may pass it, up
/// to `Limits::max_row_bytes`).
const BATCH_BYTES: usize = 1 << 20;
/// Batches buffered between the helper thread and the reader.
const CHANNEL_BATCHES: usize = 4;

/// A non-blank worksheet row: its 1-based number and its non-empty cells as
/// `(0-based column, text)`, in column order.
pub(crate) struct SheetRow {
    pub(crate) number: usize,
    pub(crate) cells: Vec<(usize, String)>,
}

enum Msg {
    /// Number of rows declared by the sheet (0 if unknown).
    Total(u64),
    Rows(Vec<SheetRow>),
    Fatal(FileError),
    Done,
}

/// The receiving end of a worksheet being read on a helper thread.
pub(crate) struct SheetStream {
    rx: Receiver<Msg>,
    /// Rows received and not yet handed out.
    rows: VecDeque<SheetRow>,
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
    pub(crate) fn spawn(
        file: File,
        is_ole: bool,
        limits: Limits,
    ) -> Result<SheetStream, FileError> {
        let (tx, rx) = sync_channel(CHANNEL_BATCHES);
        std::thread::Builder::new()
            .name("probity-xlsx-read".into())
            .spawn(move || {
                let mut batch = Batch::new(tx);
                let result = read_sheet(file, is_ole, &limits, &mut batch);
                // Rows before a fatal error are delivered first. The receiver
                // may be gone (reader dropped early): nothing to do.
                if batch.send() {
                    let _ = batch.tx.send(match result {
                        Ok(()) => Msg::Done,
                        Err(e) => Msg::Fatal(e),
                    });
                }
            })
            .map_err(|e| FileError::unreadable(&e))?;
        Ok(SheetStream {
            rx,
            rows: VecDeque::new(),
            total: 0,
            ended: false,
        })
    }

    /// Declared number of rows (0 if unknown or not yet known).
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    pub(crate) fn next_item(&mut self) -> SheetItem {
        if let Some(row) = self.rows.pop_front() {
            return SheetItem::Row(row);
        }
        if self.ended {
            return SheetItem::End;
        }
        loop {
            match self.rx.recv() {
                Ok(Msg::Total(t)) => self.total = t,
                Ok(Msg::Rows(rows)) => {
                    self.rows = rows.into();
                    if let Some(row) = self.rows.pop_front() {
                        return SheetItem::Row(row);
                    }
                }
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

/// Bytes of a cell's text, known before it is copied (other kinds are short).
fn text_len(value: &DataRef<'_>) -> usize {
    match value {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.len(),
        DataRef::SharedString(s) => s.len(),
        _ => 0,
    }
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

/// Finished rows waiting to be sent.
struct Batch {
    tx: SyncSender<Msg>,
    rows: Vec<SheetRow>,
    bytes: usize,
}

impl Batch {
    fn new(tx: SyncSender<Msg>) -> Batch {
        Batch {
            tx,
            rows: Vec::new(),
            bytes: 0,
        }
    }

    /// Adds a row of `bytes` of text (nothing if it is blank); `false` if the reader has gone
    /// away.
    fn push(&mut self, number: u32, cells: &mut Vec<(usize, String)>, bytes: usize) -> bool {
        if cells.is_empty() {
            return true;
        }
        cells.sort_by_key(|(c, _)| *c);
        self.rows.push(SheetRow {
            number: number as usize + 1,
            cells: std::mem::take(cells),
        });
        self.bytes += bytes;
        if self.rows.len() >= BATCH_ROWS || self.bytes >= BATCH_BYTES {
            return self.send();
        }
        true
    }

    /// Sends the rows gathered so far; `false` if the reader has gone away.
    fn send(&mut self) -> bool {
        self.bytes = 0;
        if self.rows.is_empty() {
            return true;
        }
        self.tx
            .send(Msg::Rows(std::mem::take(&mut self.rows)))
            .is_ok()
    }
}

/// 1-based, for messages.
fn column_number(col: u32) -> usize {
    col as usize + 1
}

fn read_sheet(
    file: File,
    is_ole: bool,
    limits: &Limits,
    batch: &mut Batch,
) -> Result<(), FileError> {
    // An OLE2 file is no zip: calamine tells a legacy workbook from an encrypted one.
    if !is_ole {
        crate::xlsx_check::check(&file, limits)?;
    }
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
    if batch.tx.send(Msg::Total(total)).is_err() {
        return Ok(());
    }

    let mut current: Option<u32> = None;
    let mut cells: Vec<(usize, String)> = Vec::new();
    // Cells seen in the current row (blank ones too) and bytes of text kept.
    let (mut seen, mut bytes) = (0usize, 0usize);
    loop {
        let cell = match cells_reader.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(_) => return Err(FileError::xlsx_corrupt()),
        };
        let (row, col) = cell.get_position();
        if current != Some(row) {
            let sent = current.is_none_or(|r| batch.push(r, &mut cells, bytes));
            if !sent {
                return Ok(());
            }
            current = Some(row);
            (seen, bytes) = (0, 0);
        }
        let number = row as usize + 1;
        seen += 1;
        if col as usize >= limits.max_columns || seen > limits.max_columns {
            return Err(FileError::row_too_wide(number, limits));
        }
        let value = cell.get_value();
        if text_len(value) > limits.max_cell_bytes {
            return Err(FileError::cell_too_long(number, column_number(col), limits));
        }
        let text = cell_text(value);
        if !text.trim().is_empty() {
            bytes += text.len();
            if bytes > limits.max_row_bytes {
                return Err(FileError::row_too_long(number, limits));
            }
            cells.push((col as usize, text));
        }
    }
    if let Some(r) = current {
        batch.push(r, &mut cells, bytes);
    }
    Ok(())
}
