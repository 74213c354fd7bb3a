//! [`TableReader`]: format detection, header matching and row iteration.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::cell::unescape_csv_text;
use crate::csv_parse::{CsvParser, Parsed};
use crate::error::code;
use crate::header::{ColumnMatcher, HeaderMap};
use crate::jsonl::{JsonItem, JsonlSource};
use crate::source::{
    Bom, ByteSource, SNIFF_LEN, Sniffed, TextEncoding, Utf16ToUtf8, decide_from, decode_cell,
    decode_lossy, is_ole, is_zip, read_prefix, sniff_encoding,
};
use crate::xlsx_read::{SheetItem, SheetRow, SheetStream};
use crate::{ColumnSpec, FileError, Format, Limits, Row};

/// How many non-blank rows at the top are examined to find the header row
/// (title rows such as “2024 年度处分决定汇总表” above the header are skipped).
const HEADER_SEARCH_ROWS: usize = 10;

/// Opens a file for reading, rejecting directories.
fn open_file(path: &Path) -> Result<(File, u64), FileError> {
    let file = File::open(path).map_err(|e| FileError::unreadable(&e))?;
    let meta = file.metadata().map_err(|e| FileError::unreadable(&e))?;
    if meta.is_dir() {
        return Err(FileError::unreadable(&io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        )));
    }
    Ok((file, meta.len()))
}

/// Reads the first `limit` bytes of a file.
pub(crate) fn read_file_prefix(path: &Path, limit: usize) -> Result<Vec<u8>, FileError> {
    let (mut file, _) = open_file(path)?;
    read_prefix(&mut file, limit).map_err(|e| FileError::unreadable(&e))
}

/// Counts bytes read from the wrapped reader (for progress through a transcoder).
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Picks the delimiter from the first line: TAB if it has more tabs than
/// commas outside quotes, else comma.
fn sniff_delimiter(text: &[u8]) -> u8 {
    let (mut commas, mut tabs, mut quoted) = (0usize, 0usize, false);
    for &b in text {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => commas += 1,
            b'\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    if tabs > commas { b'\t' } else { b',' }
}

struct CsvSource {
    parser: CsvParser,
    limits: Limits,
    enc: TextEncoding,
    /// Number of the last record read (blank lines included).
    row: usize,
    bom_len: u64,
    /// Bytes read from the file, when a transcoder sits in between.
    file_count: Option<Arc<AtomicU64>>,
}

impl CsvSource {
    fn open(file: File, prefix: Vec<u8>, limits: Limits) -> Result<CsvSource, FileError> {
        if prefix.is_empty() {
            return Err(FileError::empty());
        }
        if is_zip(&prefix) {
            return Err(FileError::xlsx_as_text());
        }
        if is_ole(&prefix) {
            return Err(FileError::xls());
        }
        let at_eof = prefix.len() < SNIFF_LEN;
        let bom = Bom::detect(&prefix);
        let body = prefix.get(bom.len()..).unwrap_or(&[]).to_vec();
        match bom {
            Bom::Utf16Le | Bom::Utf16Be => {
                let encoding = if bom == Bom::Utf16Le {
                    encoding_rs::UTF_16LE
                } else {
                    encoding_rs::UTF_16BE
                };
                let (head, _) = encoding.decode_without_bom_handling(&body);
                let delim = sniff_delimiter(head.as_bytes());
                let count = Arc::new(AtomicU64::new(0));
                let counted = CountingReader {
                    inner: Cursor::new(body).chain(file),
                    count: Arc::clone(&count),
                };
                let utf8 = Utf16ToUtf8::new(Box::new(counted), encoding);
                Ok(CsvSource {
                    parser: CsvParser::new(ByteSource::new(Box::new(utf8)), delim, &limits),
                    limits,
                    enc: TextEncoding::Utf8,
                    row: 0,
                    bom_len: bom.len() as u64,
                    file_count: Some(count),
                })
            }
            Bom::None | Bom::Utf8 => {
                let enc = match sniff_encoding(&body, at_eof) {
                    Sniffed::Binary => return Err(FileError::binary()),
                    Sniffed::Text(_) if bom == Bom::Utf8 => TextEncoding::Utf8,
                    Sniffed::Unknown if bom == Bom::Utf8 => TextEncoding::Utf8,
                    Sniffed::Unknown => return Err(FileError::encoding()),
                    Sniffed::Text(enc) => enc,
                };
                let delim = sniff_delimiter(&body);
                let reader = Cursor::new(body).chain(file);
                Ok(CsvSource {
                    parser: CsvParser::new(ByteSource::new(Box::new(reader)), delim, &limits),
                    limits,
                    enc,
                    row: 0,
                    bom_len: bom.len() as u64,
                    file_count: None,
                })
            }
        }
    }

    fn done_bytes(&self) -> u64 {
        match &self.file_count {
            Some(c) => c.load(Ordering::Relaxed).saturating_add(self.bom_len),
            None => self.parser.consumed().saturating_add(self.bom_len),
        }
    }

    fn is_blank(&self, fields: &[Vec<u8>]) -> bool {
        fields.iter().all(|f| {
            f.iter().all(u8::is_ascii_whitespace)
                || (!f.is_ascii() && decode_lossy(f, self.enc).trim().is_empty())
        })
    }

    /// Settles the encoding from the first record with non-ASCII bytes.
    fn learn_encoding(&mut self, fields: &[Vec<u8>]) {
        if self.enc != TextEncoding::Undecided {
            return;
        }
        for f in fields.iter().filter(|f| !f.is_ascii()) {
            let enc = decide_from(f);
            if enc != TextEncoding::Undecided {
                self.enc = enc;
                return;
            }
        }
    }

    fn next_raw(&mut self) -> Next {
        loop {
            match self.parser.next_record() {
                Err(e) => return Next::Fatal(FileError::unreadable(&e)),
                Ok(Parsed::Eof) => return Next::End,
                Ok(Parsed::Record(fields)) => {
                    self.row += 1;
                    if self.is_blank(&fields) {
                        continue;
                    }
                    return Next::Raw(Raw::Csv {
                        number: self.row,
                        fields,
                    });
                }
                Ok(Parsed::Unclosed) => {
                    self.row += 1;
                    let row = self.row;
                    return Next::RowError(FileError::at_row(
                        code::CSV_MALFORMED,
                        row,
                        format!(
                            "第 {row} 行格式错误：双引号未闭合（或单元格内容过长），该行已跳过，请检查该行的引号"
                        ),
                    ));
                }
                Ok(Parsed::RowTooLong) => {
                    return Next::Fatal(FileError::row_too_long(self.row + 1, &self.limits));
                }
                Ok(Parsed::CellTooLong(column)) => {
                    return Next::Fatal(FileError::cell_too_long(
                        self.row + 1,
                        column,
                        &self.limits,
                    ));
                }
                Ok(Parsed::TooWide) => {
                    return Next::Fatal(FileError::row_too_wide(self.row + 1, &self.limits));
                }
            }
        }
    }
}

/// A non-blank raw row from a CSV or a worksheet.
enum Raw {
    Csv { number: usize, fields: Vec<Vec<u8>> },
    Sheet(SheetRow),
}

enum Next {
    Raw(Raw),
    RowError(FileError),
    Fatal(FileError),
    End,
}

enum Source {
    Csv(CsvSource),
    Xlsx {
        stream: SheetStream,
        last_row: usize,
    },
    Jsonl {
        source: JsonlSource,
        bom_len: u64,
        present: Vec<bool>,
    },
}

/// Streaming reader of a CSV, XLSX or JSONL table.
///
/// Iterates over data rows aligned with the `ColumnSpec`s given to
/// [`TableReader::open`]. Row-level problems are yielded as `Err` with
/// `fatal == false` and iteration continues; a fatal error is yielded once and
/// iteration ends. The reader is `Send`.
pub struct TableReader {
    format: Format,
    columns: Vec<ColumnSpec>,
    matcher: ColumnMatcher,
    map: HeaderMap,
    source: Source,
    total: u64,
    /// Raw rows read while looking for the header that turned out to be data.
    lookahead: VecDeque<Raw>,
    /// A JSONL item read ahead by `open`.
    pending: Option<Result<Row, FileError>>,
    finished: bool,
}

impl std::fmt::Debug for TableReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableReader")
            .field("format", &self.format)
            .field("headers_found", &self.headers_found())
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

impl TableReader {
    /// Opens a file, detecting its format (extension first, then content: a
    /// ZIP container is always read as `.xlsx`, whatever its extension), reads
    /// the header row and checks that every required column is present. The
    /// file is held to the default [`Limits`].
    pub fn open(path: &Path, columns: &[ColumnSpec]) -> Result<TableReader, FileError> {
        TableReader::open_with_limits(path, columns, Limits::DEFAULT)
    }

    /// As [`TableReader::open`], holding the file to `limits`.
    pub fn open_with_limits(
        path: &Path,
        columns: &[ColumnSpec],
        limits: Limits,
    ) -> Result<TableReader, FileError> {
        let (mut file, len) = open_file(path)?;
        let prefix = read_prefix(&mut file, SNIFF_LEN).map_err(|e| FileError::unreadable(&e))?;
        let format = if is_zip(&prefix) || is_ole(&prefix) {
            // An OLE2 file is either a legacy workbook or an encrypted .xlsx:
            // the XLSX path tells them apart.
            Format::Xlsx
        } else {
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            match ext.as_deref() {
                Some("xls" | "et") => return Err(FileError::xls()),
                Some("csv" | "txt" | "tsv") => Format::Csv,
                Some("xlsx" | "xlsm") => Format::Xlsx,
                Some("jsonl" | "ndjson" | "json") => Format::Jsonl,
                _ => Format::sniff(&prefix)?.unwrap_or(Format::Csv),
            }
        };
        TableReader::from_parts(file, len, prefix, format, columns, limits)
    }

    /// Opens a file as the given format (no detection), with the default [`Limits`].
    pub fn open_as(
        path: &Path,
        format: Format,
        columns: &[ColumnSpec],
    ) -> Result<TableReader, FileError> {
        TableReader::open_as_with_limits(path, format, columns, Limits::DEFAULT)
    }

    /// As [`TableReader::open_as`], holding the file to `limits`.
    pub fn open_as_with_limits(
        path: &Path,
        format: Format,
        columns: &[ColumnSpec],
        limits: Limits,
    ) -> Result<TableReader, FileError> {
        let (mut file, len) = open_file(path)?;
        let prefix = read_prefix(&mut file, SNIFF_LEN).map_err(|e| FileError::unreadable(&e))?;
        TableReader::from_parts(file, len, prefix, format, columns, limits)
    }

    fn from_parts(
        mut file: File,
        len: u64,
        prefix: Vec<u8>,
        format: Format,
        columns: &[ColumnSpec],
        limits: Limits,
    ) -> Result<TableReader, FileError> {
        let source = match format {
            Format::Csv => Source::Csv(CsvSource::open(file, prefix, limits)?),
            Format::Xlsx => {
                if prefix.is_empty() {
                    return Err(FileError::empty());
                }
                file.seek(SeekFrom::Start(0))
                    .map_err(|e| FileError::unreadable(&e))?;
                Source::Xlsx {
                    stream: SheetStream::spawn(file, is_ole(&prefix), limits)?,
                    last_row: 0,
                }
            }
            Format::Jsonl => {
                let (source, bom_len) = open_jsonl(file, prefix, limits)?;
                Source::Jsonl {
                    source,
                    bom_len,
                    present: vec![false; columns.len()],
                }
            }
        };
        let mut reader = TableReader {
            format,
            columns: columns.to_vec(),
            matcher: ColumnMatcher::new(columns),
            map: HeaderMap::default(),
            source,
            total: len,
            lookahead: VecDeque::new(),
            pending: None,
            finished: false,
        };
        match format {
            Format::Jsonl => {
                // Read the first item so that `headers_found` means something
                // and an empty file is reported up front.
                match reader.next_jsonl() {
                    Some(Err(e)) if e.fatal => return Err(e),
                    Some(item) => reader.pending = Some(item),
                    None => {
                        return Err(FileError::fatal(
                            code::FILE_EMPTY,
                            "文件为空：没有任何数据行",
                        ));
                    }
                }
            }
            Format::Csv | Format::Xlsx => reader.find_header()?,
        }
        Ok(reader)
    }

    /// The format being read.
    pub fn format(&self) -> Format {
        self.format
    }

    /// `(done, total)`: bytes for CSV/JSONL, rows for XLSX (`total` is 0 when
    /// the workbook does not declare its size). For a progress bar.
    pub fn progress(&self) -> (u64, u64) {
        match &self.source {
            Source::Csv(s) => {
                if self.finished {
                    (self.total, self.total)
                } else {
                    (s.done_bytes().min(self.total), self.total)
                }
            }
            Source::Jsonl {
                source, bom_len, ..
            } => {
                if self.finished {
                    (self.total, self.total)
                } else {
                    let done = source.consumed().saturating_add(*bom_len);
                    (done.min(self.total), self.total)
                }
            }
            Source::Xlsx { stream, last_row } => {
                let done = *last_row as u64;
                let total = stream.total();
                if self.finished {
                    let t = total.max(done);
                    (t, t)
                } else {
                    (done.min(total.max(done)), total)
                }
            }
        }
    }

    /// Keys of the columns present in the file, in `ColumnSpec` order. For
    /// JSONL (no header), the keys seen in the rows read so far.
    pub fn headers_found(&self) -> Vec<&'static str> {
        match &self.source {
            Source::Jsonl { present, .. } => self
                .columns
                .iter()
                .zip(present)
                .filter(|(_, p)| **p)
                .map(|(c, _)| c.key)
                .collect(),
            _ => self.map.found_keys(&self.columns),
        }
    }

    /// The column specs this reader aligns cells with.
    pub fn columns(&self) -> &[ColumnSpec] {
        &self.columns
    }

    fn next_raw(&mut self) -> Next {
        match &mut self.source {
            Source::Csv(s) => s.next_raw(),
            Source::Xlsx { stream, last_row } => match stream.next_item() {
                SheetItem::Row(r) => {
                    *last_row = (*last_row).max(r.number);
                    Next::Raw(Raw::Sheet(r))
                }
                SheetItem::Fatal(e) => Next::Fatal(e),
                SheetItem::End => Next::End,
            },
            Source::Jsonl { .. } => Next::End,
        }
    }

    fn header_strings(&mut self, raw: &Raw) -> Vec<String> {
        match raw {
            Raw::Csv { fields, .. } => {
                let enc = match &mut self.source {
                    Source::Csv(s) => {
                        s.learn_encoding(fields);
                        s.enc
                    }
                    _ => TextEncoding::Utf8,
                };
                fields
                    .iter()
                    .map(|f| decode_lossy(f, enc).trim().to_string())
                    .collect()
            }
            Raw::Sheet(row) => {
                let width = row.cells.iter().map(|(c, _)| c + 1).max().unwrap_or(0);
                let mut out = vec![String::new(); width];
                for (c, text) in &row.cells {
                    match out.get_mut(*c) {
                        Some(slot) if slot.is_empty() => *slot = text.trim().to_string(),
                        _ => {}
                    }
                }
                out
            }
        }
    }

    /// Finds the header row among the first non-blank rows: the first one in
    /// which at least one expected column is recognised. If none is, the first
    /// non-blank row is the header (and required columns are reported missing).
    fn find_header(&mut self) -> Result<(), FileError> {
        let mut candidates: Vec<(Raw, Vec<String>)> = Vec::new();
        let mut examined = 0;
        while examined < HEADER_SEARCH_ROWS {
            examined += 1;
            match self.next_raw() {
                Next::Raw(raw) => {
                    let header = self.header_strings(&raw);
                    let map = self.matcher.map_header(&header, self.columns.len());
                    if map.matched() > 0 {
                        map.check_required(&self.columns)?;
                        self.map = map;
                        return Ok(());
                    }
                    candidates.push((raw, header));
                }
                // Damaged lines above the header are not data: ignore them.
                Next::RowError(_) => {}
                Next::Fatal(e) => return Err(e),
                Next::End => break,
            }
        }
        let mut rest = candidates.into_iter();
        let Some((_, header)) = rest.next() else {
            return Err(FileError::empty());
        };
        let map = self.matcher.map_header(&header, self.columns.len());
        map.check_required(&self.columns)?;
        self.map = map;
        self.lookahead = rest.map(|(raw, _)| raw).collect();
        Ok(())
    }

    /// Builds an aligned row from a raw CSV/worksheet row.
    fn build_row(&mut self, raw: Raw) -> Result<Row, FileError> {
        let mut cells = vec![String::new(); self.columns.len()];
        match raw {
            Raw::Csv { number, fields } => {
                let enc = match &mut self.source {
                    Source::Csv(s) => {
                        s.learn_encoding(&fields);
                        s.enc
                    }
                    _ => TextEncoding::Utf8,
                };
                for (pos, bytes) in fields.iter().enumerate() {
                    let Some(Some(spec)) = self.map.by_field.get(pos).copied() else {
                        continue;
                    };
                    let header = self.columns.get(spec).map(|c| c.header).unwrap_or("");
                    let Some(text) = decode_cell(bytes, enc) else {
                        return Err(FileError::row_encoding(number, header));
                    };
                    let text = text.trim();
                    if text.contains('\u{fffd}') {
                        return Err(FileError::row_encoding(number, header));
                    }
                    if let Some(slot) = cells.get_mut(spec) {
                        *slot = unescape_csv_text(text.to_string());
                    }
                }
                Ok(Row { number, cells })
            }
            Raw::Sheet(row) => {
                for (col, text) in row.cells {
                    let Some(Some(spec)) = self.map.by_field.get(col).copied() else {
                        continue;
                    };
                    let text = text.trim();
                    if text.contains('\u{fffd}') {
                        let header = self.columns.get(spec).map(|c| c.header).unwrap_or("");
                        return Err(FileError::row_encoding(row.number, header));
                    }
                    match cells.get_mut(spec) {
                        Some(slot) if slot.is_empty() => *slot = text.to_string(),
                        _ => {}
                    }
                }
                Ok(Row {
                    number: row.number,
                    cells,
                })
            }
        }
    }

    fn next_jsonl(&mut self) -> Option<Result<Row, FileError>> {
        let Source::Jsonl {
            source, present, ..
        } = &mut self.source
        else {
            return None;
        };
        match source.next_item() {
            JsonItem::End => None,
            JsonItem::Fatal(e) => Some(Err(e)),
            JsonItem::RowError(e) => Some(Err(e)),
            JsonItem::Object { line, map } => {
                let mut cells = vec![String::new(); self.columns.len()];
                for (key, value) in &map {
                    let Some(i) = self.matcher.lookup(key) else {
                        continue;
                    };
                    if let Some(p) = present.get_mut(i) {
                        *p = true;
                    }
                    let text = crate::cell::json_value_text(value);
                    let text = text.trim();
                    if text.contains('\u{fffd}') {
                        let header = self.columns.get(i).map(|c| c.header).unwrap_or("");
                        return Some(Err(FileError::row_encoding(line, header)));
                    }
                    match cells.get_mut(i) {
                        Some(slot) if slot.is_empty() => *slot = text.to_string(),
                        _ => {}
                    }
                }
                Some(Ok(Row {
                    number: line,
                    cells,
                }))
            }
        }
    }
}

/// Checks a JSONL prefix and builds the line source.
fn open_jsonl(
    file: File,
    prefix: Vec<u8>,
    limits: Limits,
) -> Result<(JsonlSource, u64), FileError> {
    if prefix.is_empty() {
        return Err(FileError::fatal(
            code::FILE_EMPTY,
            "文件为空：没有任何数据行",
        ));
    }
    if is_zip(&prefix) {
        return Err(FileError::xlsx_as_text());
    }
    if is_ole(&prefix) {
        return Err(FileError::xls());
    }
    let bom = Bom::detect(&prefix);
    if matches!(bom, Bom::Utf16Le | Bom::Utf16Be) {
        return Err(FileError::fatal(
            code::FILE_ENCODING,
            "JSONL 文件应为 UTF-8 编码：请另存为 UTF-8 后重试",
        ));
    }
    let at_eof = prefix.len() < SNIFF_LEN;
    let body = prefix.get(bom.len()..).unwrap_or(&[]).to_vec();
    let enc = match sniff_encoding(&body, at_eof) {
        Sniffed::Binary => return Err(FileError::binary()),
        Sniffed::Unknown => {
            return Err(FileError::fatal(
                code::FILE_ENCODING,
                "文件编码无法识别：JSONL 文件应为 UTF-8 编码",
            ));
        }
        Sniffed::Text(_) if bom == Bom::Utf8 => TextEncoding::Utf8,
        Sniffed::Text(enc) => enc,
    };
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(FileError::fatal(
            code::FILE_FORMAT,
            "不支持 JSON 数组格式：请使用每行一个 JSON 对象的 JSONL 格式",
        ));
    }
    let reader = Cursor::new(body).chain(file);
    Ok((
        JsonlSource::new(ByteSource::new(Box::new(reader)), enc, limits),
        bom.len() as u64,
    ))
}

impl Iterator for TableReader {
    type Item = Result<Row, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        if let Some(item) = self.pending.take() {
            return Some(item);
        }
        let item = if let Some(raw) = self.lookahead.pop_front() {
            Some(self.build_row(raw))
        } else if matches!(self.source, Source::Jsonl { .. }) {
            self.next_jsonl()
        } else {
            match self.next_raw() {
                Next::Raw(raw) => Some(self.build_row(raw)),
                Next::RowError(e) => Some(Err(e)),
                Next::Fatal(e) => Some(Err(e)),
                Next::End => None,
            }
        };
        match &item {
            None => self.finished = true,
            Some(Err(e)) if e.fatal => self.finished = true,
            _ => {}
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_is_send() {
        fn assert_send<T: Send + 'static>() {}
        assert_send::<TableReader>();
    }

    #[test]
    fn delimiter() {
        assert_eq!(sniff_delimiter(b"a\tb\tc\n1,2"), b'\t');
        assert_eq!(sniff_delimiter(b"a,b\tc\n"), b',');
        assert_eq!(sniff_delimiter(b"\"a\tb\",c\n"), b',');
    }
}
