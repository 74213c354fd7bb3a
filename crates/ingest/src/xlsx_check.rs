//! Checks an `.xlsx` against the [`Limits`] before calamine opens it.
//!
//! calamine holds some parts of a workbook whole in memory (the shared-string table as a
//! `Vec<String>`, the cell formats, the sheet list and the workbook's relationships) and parses
//! every part with quick-xml, whose buffer holds one whole tag, text, comment or CDATA section,
//! and which keeps the names of all open elements. The size of the compressed file bounds none of
//! that: 40 million empty shared strings fit in 1 MB.
//!
//! So before calamine sees the file, every part it will parse — found the way calamine finds
//! them: `_rels/.rels`, then the workbook, its relationships, shared strings, styles and theme, and
//! the sheets the workbook's relationships name — is inflated here, streaming, and the file is
//! refused as soon as
//! * a part, or all of them together, inflates past the limits (the sizes the zip directory
//!   declares are not trusted: the bytes are counted as they come);
//! * the shared-string table holds, or declares (calamine reserves what it declares), more
//!   entries than allowed, or another kind of entry calamine keeps is too numerous;
//! * one tag, text, comment, string or cell is longer than a cell may be, or the elements nest
//!   too deep.
//!
//! The scan follows quick-xml's grammar closely enough that what it measures bounds what quick-xml
//! buffers; where it must guess, it guesses on the side of measuring more. Parts calamine never
//! opens (images, printer settings …) are not inflated at all.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

use memchr::{memchr, memchr3, memmem};
use zip::ZipArchive;

use crate::{FileError, Limits};

/// Nesting of XML elements (Excel writes fewer than 20 levels).
const MAX_DEPTH: usize = 256;
/// Bytes of the names of all open elements together (quick-xml keeps them).
const MAX_OPEN_NAME_BYTES: usize = 64 << 10;
/// Inflated bytes handled at a time.
const CHUNK: usize = 64 << 10;
/// Elements whose content calamine gathers into one string: shared strings (`si`, their `t`),
/// inline strings (`is`), cell values (`v`) and defined names.
const GATHERED: [&[u8]; 5] = [b"si", b"t", b"is", b"v", b"definedName"];

/// Checks the `.xlsx` in `file`. A container the zip reader cannot open passes: calamine opens it
/// the same way and reports it as corrupt.
pub(crate) fn check(file: &File, limits: &Limits) -> Result<(), FileError> {
    check_declared_entries(file, limits)?;
    let Ok(mut zip) = ZipArchive::new(BufReader::new(file)) else {
        return Ok(());
    };
    if zip.len() > limits.max_parts {
        return Err(FileError::too_many_parts(limits));
    }
    // calamine refuses a container with an undecodable name before reading any part.
    let Ok(names) = zip
        .file_names()
        .map(|n| n.map(|n| part_key(&n)))
        .collect::<Result<Vec<_>, _>>()
    else {
        return Ok(());
    };
    let mut parts = Parts::new(names);
    let mut inflated = 0u64;

    // The package relationships name the workbook; every part calamine reads is found from it.
    let mut workbook_rels: HashMap<usize, HashSet<String>> = HashMap::new();
    for i in parts.lookup("_rels/.rels") {
        let (mut office_documents, mut kept) = (Vec::new(), 0usize);
        scan_part(&mut zip, i, limits, &mut inflated, &mut |local, tag| {
            if local == b"Relationship"
                && attr_values(tag, b"Type")
                    .iter()
                    .any(|t| t.ends_with(b"/relationships/officeDocument"))
            {
                for target in attr_values(tag, b"Target") {
                    // calamine unescapes this target; both spellings are followed.
                    for t in [target.to_vec(), unescape(target)] {
                        kept += t.len() + 1;
                        office_documents.push(t);
                    }
                }
            }
        })?;
        parts.done[i] = true;
        // A package names one workbook; thousands of names only make work.
        if kept > limits.max_cell_bytes {
            return Err(FileError::xml_too_complex());
        }
        for target in office_documents {
            let Ok(target) = String::from_utf8(target) else {
                continue;
            };
            let (dir, name) = target.split_at(target.rfind('/').map_or(0, |i| i + 1));
            let xl = dir.strip_prefix('/').unwrap_or(dir);
            let workbook = if name.is_empty() {
                "workbook.xml"
            } else {
                name
            };
            for part in [
                workbook,
                "sharedStrings.xml",
                "styles.xml",
                "theme/theme1.xml",
            ] {
                parts.want(&format!("{xl}{part}"));
            }
            for rels in parts.lookup(&format!("{xl}_rels/{workbook}.rels")) {
                workbook_rels.entry(rels).or_default().insert(part_key(xl));
            }
        }
    }

    // The workbook's relationships name the sheets (calamine takes their targets as written).
    for (rels, xl_paths) in workbook_rels {
        if parts.done[rels] {
            continue;
        }
        scan_part(&mut zip, rels, limits, &mut inflated, &mut |local, tag| {
            if local == b"Relationship" {
                for target in attr_values(tag, b"Target") {
                    let Ok(target) = std::str::from_utf8(target) else {
                        continue;
                    };
                    for xl in &xl_paths {
                        let path = match target.strip_prefix('/') {
                            Some(absolute) => absolute.to_string(),
                            None => format!("{xl}{target}"),
                        };
                        parts.want(&path);
                    }
                }
            }
        })?;
        parts.done[rels] = true;
    }

    for i in 0..parts.wanted.len() {
        if parts.wanted[i] && !parts.done[i] {
            scan_part(&mut zip, i, limits, &mut inflated, &mut |_, _| {})?;
            parts.done[i] = true;
        }
    }
    Ok(())
}

/// A part name as calamine looks it up: case-insensitive, `\` read as `/`.
fn part_key(name: &str) -> String {
    name.replace('\\', "/").to_ascii_lowercase()
}

/// The parts of the container by name, and which ones calamine will parse.
struct Parts {
    by_key: HashMap<String, Vec<usize>>,
    wanted: Vec<bool>,
    done: Vec<bool>,
}

impl Parts {
    fn new(keys: Vec<String>) -> Parts {
        let n = keys.len();
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::with_capacity(n);
        for (i, key) in keys.into_iter().enumerate() {
            by_key.entry(key).or_default().push(i);
        }
        Parts {
            by_key,
            wanted: vec![false; n],
            done: vec![false; n],
        }
    }

    /// Every part calamine may mean by `path` (it also falls back to the exact name, which has
    /// the same key).
    fn lookup(&self, path: &str) -> Vec<usize> {
        self.by_key
            .get(&part_key(path))
            .cloned()
            .unwrap_or_default()
    }

    fn want(&mut self, path: &str) {
        for i in self.lookup(path) {
            self.wanted[i] = true;
        }
    }
}

/// Inflates part `i`, counting its bytes against the limits and scanning it as XML; `on_start`
/// sees every start tag (local name, tag bytes after `<`).
fn scan_part<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    i: usize,
    limits: &Limits,
    inflated: &mut u64,
    on_start: &mut dyn FnMut(&[u8], &[u8]),
) -> Result<(), FileError> {
    // A part the zip reader cannot open (encrypted, unknown compression) cannot be parsed by
    // calamine either; nor can anything past a read error.
    let Ok(mut part) = zip.by_index(i) else {
        return Ok(());
    };
    let mut scan = XmlScan::new(limits);
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = match part.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n.min(buf.len()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Ok(()),
        };
        size += n as u64;
        *inflated += n as u64;
        if size > limits.max_part_bytes {
            return Err(FileError::part_too_large(limits));
        }
        if *inflated > limits.max_unpacked_bytes {
            return Err(FileError::unpacked_too_large(limits));
        }
        scan.feed(&buf[..n], on_start)?;
        if scan.string_table && size > limits.max_shared_string_bytes {
            return Err(FileError::too_much_string_text(limits));
        }
        if scan.stopped {
            return Ok(());
        }
    }
}

/// Refuses a container whose end record declares more entries than allowed, before the zip
/// reader allocates its directory (about 200 bytes an entry). The zip reader may settle on
/// another end record; the number of entries it found is checked again after it opened the file.
fn check_declared_entries(mut file: &File, limits: &Limits) -> Result<(), FileError> {
    fn u16_at(b: &[u8], i: usize) -> u64 {
        u64::from(u16::from_le_bytes([b[i], b[i + 1]]))
    }
    fn u64_at(b: &[u8], i: usize) -> u64 {
        let mut x = [0u8; 8];
        x.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(x)
    }
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return Ok(());
    };
    let tail_len = len.min(22 + 0xFFFF) as usize;
    let mut tail = vec![0u8; tail_len];
    if file.seek(SeekFrom::Start(len - tail_len as u64)).is_err()
        || file.read_exact(&mut tail).is_err()
    {
        return Ok(());
    }
    // The end record whose comment reaches the end of the file.
    let Some(end) = (0..tail_len.saturating_sub(21)).rev().find(|&p| {
        tail[p..p + 4] == *b"PK\x05\x06" && p + 22 + u16_at(&tail, p + 20) as usize == tail_len
    }) else {
        return Ok(());
    };
    let mut entries = u16_at(&tail, end + 8).max(u16_at(&tail, end + 10));
    if entries == 0xFFFF && end >= 20 && tail[end - 20..end - 16] == *b"PK\x06\x07" {
        let at = u64_at(&tail, end - 20 + 8);
        let mut record = [0u8; 56];
        if file.seek(SeekFrom::Start(at)).is_ok()
            && file.read_exact(&mut record).is_ok()
            && record[..4] == *b"PK\x06\x06"
        {
            entries = u64_at(&record, 24).max(u64_at(&record, 32));
        }
    }
    if entries > limits.max_parts as u64 {
        return Err(FileError::too_many_parts(limits));
    }
    Ok(())
}

/// The values of every `key="…"` (or `'…'`) in a tag. Looser than an attribute parser: it also
/// finds the key inside other values, so it never misses one calamine sees.
fn attr_values<'t>(tag: &'t [u8], key: &[u8]) -> Vec<&'t [u8]> {
    let mut out = Vec::new();
    for at in memmem::find_iter(tag, key) {
        let mut j = at + key.len();
        let skip_space = |j: &mut usize| {
            while tag.get(*j).is_some_and(u8::is_ascii_whitespace) {
                *j += 1;
            }
        };
        skip_space(&mut j);
        if tag.get(j) != Some(&b'=') {
            continue;
        }
        j += 1;
        skip_space(&mut j);
        let Some(&quote) = tag.get(j).filter(|q| **q == b'"' || **q == b'\'') else {
            continue;
        };
        let value = &tag[j + 1..];
        out.push(&value[..memchr(quote, value).unwrap_or(value.len())]);
    }
    out
}

/// XML attribute unescaping as calamine applies it to the workbook's target.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = memchr(b'&', rest) {
        out.extend_from_slice(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = memchr(b';', rest) else {
            break;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            b"lt" => Some('<'),
            b"gt" => Some('>'),
            b"amp" => Some('&'),
            b"apos" => Some('\''),
            b"quot" => Some('"'),
            _ => entity
                .strip_prefix(b"#x")
                .and_then(|h| u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok())
                .or_else(|| {
                    std::str::from_utf8(entity.strip_prefix(b"#")?)
                        .ok()?
                        .parse()
                        .ok()
                })
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                rest = &rest[semi + 1..];
            }
            None => {
                out.push(b'&');
                rest = &rest[1..];
            }
        }
    }
    out.extend_from_slice(rest);
    out
}

/// What the scanner is inside of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Markup {
    Text,
    /// Just after `<`.
    Open,
    /// Just after `<!`.
    Bang,
    Comment,
    CData,
    Instruction,
    /// A start or end tag: until `>` outside quotes.
    Tag,
}

/// Counts of the entries calamine keeps, per part.
#[derive(Default)]
struct Counts {
    strings: usize,
    /// One per entry of [`ITEMS`].
    items: [usize; ITEMS.len()],
}

/// The entries besides shared strings calamine keeps in memory, with their names for a message.
const ITEMS: [(&[u8], &str); 8] = [
    (b"xf", "单元格格式"),
    (b"font", "字体"),
    (b"fill", "填充样式"),
    (b"border", "边框样式"),
    (b"numFmt", "数字格式"),
    (b"sheet", "工作表"),
    (b"definedName", "名称定义"),
    (b"Relationship", "内部关联"),
];

/// A streaming scan of one XML part.
struct XmlScan<'l> {
    limits: &'l Limits,
    state: Markup,
    /// Bytes of the part handled so far.
    pos: u64,
    /// Where the current text began, or the `<` of the current markup.
    start: u64,
    /// The current tag without its `<`, at most `max_cell_bytes` long.
    tag: Vec<u8>,
    /// Inside a tag: the quote of the attribute value being read, or 0.
    quote: u8,
    /// The two bytes before the current one, inside a comment, CDATA section or instruction.
    prev: [u8; 2],
    /// Name lengths of the open elements, and their sum.
    open: Vec<usize>,
    open_bytes: usize,
    /// Gathered elements still open: qualified name and where their `<` was.
    gathered: Vec<(Vec<u8>, u64)>,
    counts: Counts,
    /// The part holds shared strings (calamine keeps all their text).
    string_table: bool,
    /// quick-xml stopped at a syntax error, and calamine with it: the rest is never parsed.
    stopped: bool,
}

impl<'l> XmlScan<'l> {
    fn new(limits: &'l Limits) -> XmlScan<'l> {
        XmlScan {
            limits,
            state: Markup::Text,
            pos: 0,
            start: 0,
            tag: Vec::new(),
            quote: 0,
            prev: [0; 2],
            open: Vec::new(),
            open_bytes: 0,
            gathered: Vec::new(),
            counts: Counts::default(),
            string_table: false,
            stopped: false,
        }
    }

    fn cap(&self) -> u64 {
        self.limits.max_cell_bytes as u64
    }

    /// Length so far of the current text or markup, up to the byte at `self.pos`.
    fn current_len(&self) -> u64 {
        self.pos - self.start
    }

    fn feed(
        &mut self,
        chunk: &[u8],
        on_start: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<(), FileError> {
        let mut i = 0;
        while i < chunk.len() && !self.stopped {
            let rest = &chunk[i..];
            let used = match self.state {
                Markup::Text => {
                    let k = memchr(b'<', rest);
                    let text = k.unwrap_or(rest.len());
                    if self.current_len() + text as u64 > self.cap() {
                        return Err(FileError::xlsx_cell_too_long(self.limits));
                    }
                    if k.is_some() {
                        self.start = self.pos + text as u64;
                        self.state = Markup::Open;
                        text + 1
                    } else {
                        text
                    }
                }
                Markup::Open => match rest[0] {
                    b'!' => {
                        self.state = Markup::Bang;
                        1
                    }
                    b'?' => {
                        self.state = Markup::Instruction;
                        self.prev = [0, b'?'];
                        1
                    }
                    _ => {
                        // The byte is part of the tag: read it there.
                        self.state = Markup::Tag;
                        self.tag.clear();
                        self.quote = 0;
                        0
                    }
                },
                Markup::Bang => {
                    self.state = match rest[0] {
                        b'-' => Markup::Comment,
                        b'[' => Markup::CData,
                        // A document type declaration has no place in a workbook (OPC forbids
                        // it) and quick-xml would buffer the whole of it.
                        b'D' | b'd' => return Err(FileError::xlsx_corrupt()),
                        _ => {
                            self.stopped = true;
                            Markup::Bang
                        }
                    };
                    self.prev = [b'!', rest[0]];
                    1
                }
                Markup::Comment | Markup::CData | Markup::Instruction => self.feed_special(rest)?,
                Markup::Tag => self.feed_tag(rest, on_start)?,
            };
            self.pos += used as u64;
            i += used;
        }
        self.check_gathered()
    }

    /// A cell's text is gathered from the start of its element to its end.
    fn check_gathered(&self) -> Result<(), FileError> {
        match self.gathered.first() {
            Some((_, start)) if self.pos - start > self.cap() => {
                Err(FileError::xlsx_cell_too_long(self.limits))
            }
            _ => Ok(()),
        }
    }

    /// Inside a comment, CDATA section or processing instruction: looks for its end as quick-xml
    /// does (`-->` at least six bytes after `<`, `]]>`, `?>`). Returns the bytes consumed.
    fn feed_special(&mut self, rest: &[u8]) -> Result<usize, FileError> {
        let (closing, min_offset) = match self.state {
            Markup::Comment => (b'-', 6),
            Markup::CData => (b']', 5),
            _ => (b'?', 2),
        };
        let two = self.state != Markup::Instruction;
        let mut from = 0;
        let found = loop {
            let Some(k) = memchr(b'>', &rest[from..]).map(|k| from + k) else {
                break None;
            };
            let before = |back: usize| match k.checked_sub(back) {
                Some(j) => rest[j],
                None => self.prev[2 - (back - k)],
            };
            let offset = self.current_len() + k as u64;
            if offset >= min_offset && before(1) == closing && (!two || before(2) == closing) {
                break Some(k);
            }
            from = k + 1;
        };
        let used = found.map_or(rest.len(), |k| k + 1);
        let len = self.current_len() + used as u64;
        if len > self.cap() {
            return Err(if self.state == Markup::CData {
                FileError::xlsx_cell_too_long(self.limits)
            } else {
                FileError::xml_too_complex()
            });
        }
        if found.is_some() {
            self.state = Markup::Text;
            self.start = self.pos + used as u64;
        } else {
            // Keep the last two bytes for a terminator split across chunks.
            self.prev = match rest {
                [.., a, b] => [*a, *b],
                [b] => [self.prev[1], *b],
                [] => self.prev,
            };
        }
        Ok(used)
    }

    /// Inside a tag: gathers it up to `>` outside quotes. Returns the bytes consumed.
    fn feed_tag(
        &mut self,
        rest: &[u8],
        on_start: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<usize, FileError> {
        let mut k = 0;
        let end = loop {
            let found = if self.quote == 0 {
                memchr3(b'>', b'"', b'\'', &rest[k..])
            } else {
                memchr(self.quote, &rest[k..])
            };
            let Some(j) = found.map(|j| k + j) else {
                break None;
            };
            k = j + 1;
            match (self.quote, rest[j]) {
                (0, b'>') => break Some(j),
                (0, q) => self.quote = q,
                _ => self.quote = 0,
            }
        };
        let body = &rest[..end.unwrap_or(rest.len())];
        if self.tag.len() + body.len() + 1 > self.limits.max_cell_bytes {
            return Err(FileError::xml_too_complex());
        }
        self.tag.extend_from_slice(body);
        let Some(end) = end else {
            return Ok(rest.len());
        };
        self.close_tag(on_start)?;
        self.state = Markup::Text;
        self.start = self.pos + end as u64 + 1;
        Ok(end + 1)
    }

    /// A whole tag was read (`self.tag`, `self.start` at its `<`).
    fn close_tag(&mut self, on_start: &mut dyn FnMut(&[u8], &[u8])) -> Result<(), FileError> {
        let tag = std::mem::take(&mut self.tag);
        let result = if let Some(end) = tag.strip_prefix(b"/") {
            // quick-xml takes all of an end tag but trailing spaces as its name.
            let len = end.len() - end.iter().rev().take_while(|b| is_space(b)).count();
            self.end_element(&end[..len])
        } else {
            let empty = tag.last() == Some(&b'/');
            let name = name_of(if empty { &tag[..tag.len() - 1] } else { &tag });
            let local = local_of(name);
            on_start(local, &tag);
            self.count(local, &tag).and_then(|()| {
                if empty {
                    Ok(())
                } else {
                    self.start_element(name)
                }
            })
        };
        self.tag = tag;
        result
    }

    fn start_element(&mut self, name: &[u8]) -> Result<(), FileError> {
        self.open.push(name.len());
        self.open_bytes += name.len();
        if self.open.len() > MAX_DEPTH || self.open_bytes > MAX_OPEN_NAME_BYTES {
            return Err(FileError::xml_too_complex());
        }
        if GATHERED.contains(&local_of(name)) {
            self.gathered.push((name.to_vec(), self.start));
        }
        Ok(())
    }

    fn end_element(&mut self, name: &[u8]) -> Result<(), FileError> {
        // quick-xml (as calamine sets it up) closes the last open element whatever the name.
        if let Some(len) = self.open.pop() {
            self.open_bytes -= len;
        }
        // A gathered element ends only at its own end tag; its text was all read by then.
        if self.gathered.last().is_some_and(|(open, _)| open == name)
            && let Some((_, start)) = self.gathered.pop()
            && self.start - start > self.cap()
        {
            return Err(FileError::xlsx_cell_too_long(self.limits));
        }
        Ok(())
    }

    fn count(&mut self, local: &[u8], tag: &[u8]) -> Result<(), FileError> {
        let limits = self.limits;
        match local {
            b"si" => {
                self.string_table = true;
                self.counts.strings += 1;
                if self.counts.strings > limits.max_shared_strings {
                    return Err(FileError::too_many_strings(limits));
                }
            }
            // calamine reserves room for the count the table declares.
            b"sst" => {
                self.string_table = true;
                for value in attr_values(tag, b"uniqueCount") {
                    let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
                    let digits = &value[..digits];
                    let significant = &digits[digits.iter().take_while(|b| **b == b'0').count()..];
                    let declared = std::str::from_utf8(significant)
                        .ok()
                        .and_then(|s| s.parse::<u128>().ok())
                        .unwrap_or(if significant.is_empty() { 0 } else { u128::MAX });
                    if declared > limits.max_shared_strings as u128 {
                        return Err(FileError::too_many_strings(limits));
                    }
                }
            }
            _ => {
                if let Some(k) = ITEMS.iter().position(|(key, _)| *key == local) {
                    self.counts.items[k] += 1;
                    if self.counts.items[k] > limits.max_workbook_items {
                        return Err(FileError::too_many_items(ITEMS[k].1, limits));
                    }
                }
            }
        }
        Ok(())
    }
}

/// XML white space, as quick-xml reads it.
fn is_space(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The qualified name at the start of a start tag's content.
fn name_of(content: &[u8]) -> &[u8] {
    let end = content.iter().position(is_space).unwrap_or(content.len());
    &content[..end]
}

/// The local part of a qualified name. calamine compares what follows the first colon; taking
/// what follows the last one finds at least every element calamine finds.
fn local_of(name: &[u8]) -> &[u8] {
    name.rsplit(|b| *b == b':').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(xml: &[u8], limits: &Limits) -> Result<(), FileError> {
        // Fed in small pieces, so that every terminator is split somewhere.
        let mut s = XmlScan::new(limits);
        for piece in xml.chunks(3) {
            s.feed(piece, &mut |_, _| {})?;
        }
        Ok(())
    }

    fn small() -> Limits {
        Limits {
            max_cell_bytes: 64,
            max_shared_strings: 3,
            max_workbook_items: 2,
            ..Limits::DEFAULT
        }
    }

    fn code(xml: &str) -> &'static str {
        match scan(xml.as_bytes(), &small()) {
            Ok(()) => "ok",
            Err(e) => e.code,
        }
    }

    #[test]
    fn shared_strings_are_counted_and_their_declared_count_checked() {
        assert_eq!(code("<sst><si><t>a</t></si><x:si/><si></si></sst>"), "ok");
        assert_eq!(
            code("<sst><si/><si/><si/><si/></sst>"),
            "XLSX_TOO_MANY_STRINGS"
        );
        assert_eq!(code(r#"<sst count="9" uniqueCount="3">"#), "ok");
        assert_eq!(
            code(r#"<sst uniqueCount = '0004'>"#),
            "XLSX_TOO_MANY_STRINGS"
        );
        assert_eq!(
            code(r#"<sst uniqueCount="99999999999999999999999999">"#),
            "XLSX_TOO_MANY_STRINGS"
        );
    }

    #[test]
    fn kept_items_are_counted_per_kind() {
        assert_eq!(
            code("<cellXfs><xf/><xf></xf><font/><font/></cellXfs>"),
            "ok"
        );
        assert_eq!(
            code("<cellXfs><xf/><xf/><xf/></cellXfs>"),
            "XLSX_TOO_COMPLEX"
        );
        assert_eq!(
            code("<a><Relationship/><Relationship/><Relationship/></a>"),
            "XLSX_TOO_COMPLEX"
        );
    }

    #[test]
    fn long_text_tags_and_comments_are_refused() {
        let text = "x".repeat(65);
        assert_eq!(code(&format!("<a>{}</a>", &text[..60])), "ok");
        assert_eq!(code(&format!("<a>{text}</a>")), "CELL_TOO_LONG");
        assert_eq!(code(&format!("<a b=\"{text}\"/>")), "XLSX_TOO_COMPLEX");
        assert_eq!(code(&format!("<!--{text}-->")), "XLSX_TOO_COMPLEX");
        assert_eq!(code(&format!("<?pi {text}?>")), "XLSX_TOO_COMPLEX");
        assert_eq!(code(&format!("<![CDATA[{text}]]>")), "CELL_TOO_LONG");
        // A `>` inside quotes, a comment or an instruction does not end them.
        assert_eq!(code(&format!("<a b=\">{}\"/>", &text[..50])), "ok");
        assert_eq!(code(&format!("<a b=\">{text}\"/>")), "XLSX_TOO_COMPLEX");
        assert_eq!(code(&format!("<!-->{text}-->")), "XLSX_TOO_COMPLEX");
        assert_eq!(code(&format!("<!--->{text}-->")), "XLSX_TOO_COMPLEX");
        assert_eq!(code("<!---->text<a/>"), "ok");
        assert_eq!(code("<?>text<a/>"), "ok");
        assert_eq!(code(&format!("<?a>{text}?>")), "XLSX_TOO_COMPLEX");
    }

    #[test]
    fn gathered_strings_are_measured_whole() {
        // Many short runs make one long shared string.
        let runs = "<r><t>abcdefgh</t></r>".repeat(4);
        assert_eq!(code(&format!("<si>{runs}</si>")), "CELL_TOO_LONG");
        assert_eq!(code("<si><r><t>abc</t></r></si><si><t>d</t></si>"), "ok");
        // An end tag with more than a name does not end it, for calamine.
        let (a, b) = ("a".repeat(40), "b".repeat(20));
        assert_eq!(code(&format!("<si>{a}</si >{b}")), "ok");
        assert_eq!(code(&format!("<si>{a}</si x>{b}")), "CELL_TOO_LONG");
        // A `t` left open runs on past the end of its `si`, as calamine reads it.
        let open_t = format!("<si><t>abcdefgh</si>{}", "<x>abcdefgh</x>".repeat(4));
        assert_eq!(code(&open_t), "CELL_TOO_LONG");
    }

    #[test]
    fn nesting_is_bounded_and_a_doctype_refused() {
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert_eq!(code(&deep), "XLSX_TOO_COMPLEX");
        let closed = "<a></a>".repeat(MAX_DEPTH * 2);
        assert_eq!(code(&closed), "ok");
        assert_eq!(code("<!DOCTYPE x [<!ENTITY a 'b'>]><x/>"), "XLSX_CORRUPT");
        // After a syntax error quick-xml stops, and so does the scan.
        assert_eq!(code(&format!("<!x>{}", "y".repeat(100))), "ok");
    }

    #[test]
    fn attribute_values_and_unescaping() {
        let tag = br#"Relationship Id="rId1" Type='t' Target = "a&amp;b.xml" TargetMode="x""#;
        assert_eq!(attr_values(tag, b"Target"), vec![&b"a&amp;b.xml"[..]]);
        assert_eq!(attr_values(tag, b"Type"), vec![&b"t"[..]]);
        assert_eq!(
            unescape(b"a&amp;b&#x41;&#66;&lt;&bogus;&"),
            b"a&bAB<&bogus;&".to_vec()
        );
    }
}
