//! Byte-level input plumbing: a buffered byte source with push-back, encoding
//! sniffing and a streaming UTF-16 → UTF-8 transcoder.

use std::io::{self, Read};

use encoding_rs::{DecoderResult, Encoding, GB18030};

/// Size of the prefix inspected to detect format and encoding.
pub(crate) const SNIFF_LEN: usize = 64 * 1024;

const BUF_LEN: usize = 64 * 1024;

/// A buffered byte source with a push-back area (used to re-parse bytes after a
/// malformed record) and a count of bytes consumed from the underlying reader.
pub(crate) struct ByteSource {
    inner: Box<dyn Read + Send>,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    eof: bool,
    /// Bytes of `inner` handed out so far (push-back re-reads are not counted).
    consumed: u64,
    pushback: Vec<u8>,
    pb_pos: usize,
}

impl ByteSource {
    pub(crate) fn new(inner: Box<dyn Read + Send>) -> ByteSource {
        ByteSource {
            inner,
            buf: vec![0; BUF_LEN].into_boxed_slice(),
            pos: 0,
            len: 0,
            eof: false,
            consumed: 0,
            pushback: Vec::new(),
            pb_pos: 0,
        }
    }

    pub(crate) fn consumed(&self) -> u64 {
        self.consumed
    }

    /// The next byte, `None` at end of input.
    #[inline]
    pub(crate) fn next_byte(&mut self) -> io::Result<Option<u8>> {
        if self.pb_pos < self.pushback.len() {
            let b = self.pushback[self.pb_pos];
            self.pb_pos += 1;
            if self.pb_pos == self.pushback.len() {
                self.pushback.clear();
                self.pb_pos = 0;
            }
            return Ok(Some(b));
        }
        if self.pos == self.len && !self.fill()? {
            return Ok(None);
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        self.consumed += 1;
        Ok(Some(b))
    }

    /// Peeks at the next byte without consuming it.
    pub(crate) fn peek_byte(&mut self) -> io::Result<Option<u8>> {
        if self.pb_pos < self.pushback.len() {
            return Ok(Some(self.pushback[self.pb_pos]));
        }
        if self.pos == self.len && !self.fill()? {
            return Ok(None);
        }
        Ok(Some(self.buf[self.pos]))
    }

    /// Makes `bytes` the next bytes returned, ahead of any remaining push-back.
    pub(crate) fn push_back(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut merged = Vec::with_capacity(bytes.len() + self.pushback.len() - self.pb_pos);
        merged.extend_from_slice(bytes);
        merged.extend_from_slice(&self.pushback[self.pb_pos..]);
        self.pushback = merged;
        self.pb_pos = 0;
    }

    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.pos = 0;
                    self.len = n.min(self.buf.len());
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// Reads up to `limit` bytes (fewer only at end of input).
pub(crate) fn read_prefix(r: &mut dyn Read, limit: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(limit.min(SNIFF_LEN));
    let mut chunk = [0u8; 8192];
    while out.len() < limit {
        let want = (limit - out.len()).min(chunk.len());
        match r.read(&mut chunk[..want]) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n.min(want)]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Byte-order marks found at the start of a text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bom {
    None,
    Utf8,
    Utf16Le,
    Utf16Be,
}

impl Bom {
    pub(crate) fn detect(prefix: &[u8]) -> Bom {
        if prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
            Bom::Utf8
        } else if prefix.starts_with(&[0xFF, 0xFE]) {
            Bom::Utf16Le
        } else if prefix.starts_with(&[0xFE, 0xFF]) {
            Bom::Utf16Be
        } else {
            Bom::None
        }
    }

    pub(crate) fn len(self) -> usize {
        match self {
            Bom::None => 0,
            Bom::Utf8 => 3,
            Bom::Utf16Le | Bom::Utf16Be => 2,
        }
    }
}

/// Leading magic numbers of binary containers.
pub(crate) fn is_zip(prefix: &[u8]) -> bool {
    prefix.starts_with(b"PK\x03\x04")
}

/// OLE2 compound file: legacy `.xls`, WPS `.et`, or a password-protected `.xlsx`.
pub(crate) fn is_ole(prefix: &[u8]) -> bool {
    prefix.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
}

/// Text encoding of a byte-oriented (non-UTF-16) text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextEncoding {
    /// Only ASCII seen so far: decided by the first non-ASCII record.
    Undecided,
    Utf8,
    Gbk,
}

/// Counts runs of invalid UTF-8 in `bytes`; a sequence cut by the end of a
/// non-final buffer is not an error.
fn utf8_errors(mut bytes: &[u8], at_eof: bool) -> usize {
    let mut errors = 0;
    let mut in_run = false;
    loop {
        match std::str::from_utf8(bytes) {
            Ok(_) => return errors,
            Err(e) => match e.error_len() {
                None => {
                    return if at_eof && !(in_run && e.valid_up_to() == 0) {
                        errors + 1
                    } else {
                        errors
                    };
                }
                Some(n) => {
                    if !(in_run && e.valid_up_to() == 0) {
                        errors += 1;
                    }
                    in_run = true;
                    let skip = e.valid_up_to().saturating_add(n).min(bytes.len());
                    bytes = &bytes[skip..];
                }
            },
        }
    }
}

/// Counts GB18030 decoding errors and decoded non-ASCII characters.
fn gbk_errors(bytes: &[u8], at_eof: bool) -> (usize, usize) {
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let mut out = String::with_capacity(8192);
    let mut src = bytes;
    let mut errors = 0;
    let mut non_ascii = 0;
    loop {
        out.clear();
        let (result, read) = decoder.decode_to_string_without_replacement(src, &mut out, at_eof);
        non_ascii += out.chars().filter(|c| !c.is_ascii()).count();
        src = src.get(read..).unwrap_or(&[]);
        match result {
            DecoderResult::InputEmpty => return (errors, non_ascii),
            DecoderResult::OutputFull => {
                if read == 0 && out.is_empty() {
                    out.reserve(8192);
                }
            }
            DecoderResult::Malformed(_, _) => errors += 1,
        }
    }
}

/// The result of sniffing a text prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniffed {
    Text(TextEncoding),
    /// Contains NUL bytes: not a text file.
    Binary,
    /// Neither UTF-8 nor GBK.
    Unknown,
}

/// Decides the encoding of a byte-oriented text prefix (BOM already removed).
///
/// Valid UTF-8 wins; otherwise clean GBK; otherwise whichever of the two has
/// fewer errors, if those errors are rare (at most one plus 2 % of the
/// non-ASCII characters), so that one damaged cell yields a row-level error
/// instead of rejecting the whole file. Random bytes fail that test.
pub(crate) fn sniff_encoding(prefix: &[u8], at_eof: bool) -> Sniffed {
    if prefix.contains(&0) {
        return Sniffed::Binary;
    }
    if prefix.is_ascii() {
        return Sniffed::Text(TextEncoding::Undecided);
    }
    let u = utf8_errors(prefix, at_eof);
    if u == 0 {
        return Sniffed::Text(TextEncoding::Utf8);
    }
    let (g, non_ascii) = gbk_errors(prefix, at_eof);
    if g == 0 {
        return Sniffed::Text(TextEncoding::Gbk);
    }
    let utf8_chars = String::from_utf8_lossy(prefix)
        .chars()
        .filter(|c| !c.is_ascii() && *c != '\u{fffd}')
        .count();
    let (errors, chars, enc) = if u <= g {
        (u, utf8_chars, TextEncoding::Utf8)
    } else {
        (g, non_ascii, TextEncoding::Gbk)
    };
    if errors <= 1 + chars / 50 {
        Sniffed::Text(enc)
    } else {
        Sniffed::Unknown
    }
}

/// Decodes one cell's bytes; `None` if they are not valid in the encoding.
/// `Undecided` tries UTF-8, then GBK.
pub(crate) fn decode_cell(bytes: &[u8], enc: TextEncoding) -> Option<String> {
    if bytes.is_ascii() {
        // ASCII is valid in both encodings.
        return std::str::from_utf8(bytes).ok().map(str::to_string);
    }
    match enc {
        TextEncoding::Utf8 => std::str::from_utf8(bytes).ok().map(str::to_string),
        TextEncoding::Gbk => GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|c| c.into_owned()),
        TextEncoding::Undecided => {
            std::str::from_utf8(bytes)
                .ok()
                .map(str::to_string)
                .or_else(|| {
                    GB18030
                        .decode_without_bom_handling_and_without_replacement(bytes)
                        .map(|c| c.into_owned())
                })
        }
    }
}

/// Lossy decoding (for headers and blank checks).
pub(crate) fn decode_lossy(bytes: &[u8], enc: TextEncoding) -> String {
    if let Some(s) = decode_cell(bytes, enc) {
        return s;
    }
    match enc {
        TextEncoding::Gbk => GB18030.decode_without_bom_handling(bytes).0.into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Decides the encoding from a record's non-ASCII bytes while still undecided.
pub(crate) fn decide_from(bytes: &[u8]) -> TextEncoding {
    if bytes.is_ascii() {
        TextEncoding::Undecided
    } else if std::str::from_utf8(bytes).is_ok() {
        TextEncoding::Utf8
    } else if GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .is_some()
    {
        TextEncoding::Gbk
    } else {
        TextEncoding::Undecided
    }
}

/// Streaming transcoder from a UTF-16 byte stream to UTF-8. Malformed input
/// becomes U+FFFD, which the reader reports as a row-level encoding error.
pub(crate) struct Utf16ToUtf8 {
    inner: Box<dyn Read + Send>,
    decoder: encoding_rs::Decoder,
    in_buf: Box<[u8]>,
    in_pos: usize,
    in_len: usize,
    in_eof: bool,
    out_buf: Box<[u8]>,
    out_pos: usize,
    out_len: usize,
    finished: bool,
}

impl Utf16ToUtf8 {
    pub(crate) fn new(inner: Box<dyn Read + Send>, encoding: &'static Encoding) -> Utf16ToUtf8 {
        const IN: usize = 16 * 1024;
        Utf16ToUtf8 {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            in_buf: vec![0; IN].into_boxed_slice(),
            in_pos: 0,
            in_len: 0,
            in_eof: false,
            // Each UTF-16 code unit (2 bytes) yields at most 3 UTF-8 bytes.
            out_buf: vec![0; IN * 2 + 64].into_boxed_slice(),
            out_pos: 0,
            out_len: 0,
            finished: false,
        }
    }
}

impl Read for Utf16ToUtf8 {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_pos < self.out_len {
                let n = (self.out_len - self.out_pos).min(buf.len());
                buf[..n].copy_from_slice(&self.out_buf[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if self.finished || buf.is_empty() {
                return Ok(0);
            }
            if self.in_pos == self.in_len && !self.in_eof {
                match self.inner.read(&mut self.in_buf) {
                    Ok(0) => self.in_eof = true,
                    Ok(n) => {
                        self.in_pos = 0;
                        self.in_len = n.min(self.in_buf.len());
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
            let src = &self.in_buf[self.in_pos..self.in_len];
            let last = self.in_eof;
            let (result, read, written, _) =
                self.decoder.decode_to_utf8(src, &mut self.out_buf, last);
            self.in_pos += read;
            self.out_pos = 0;
            self.out_len = written;
            if last && matches!(result, encoding_rs::CoderResult::InputEmpty) {
                self.finished = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff() {
        assert_eq!(
            sniff_encoding(b"a,b\n", true),
            Sniffed::Text(TextEncoding::Undecided)
        );
        assert_eq!(
            sniff_encoding("决定文书号,姓名\n".as_bytes(), true),
            Sniffed::Text(TextEncoding::Utf8)
        );
        let (gbk, _, _) = GB18030.encode("决定文书号,姓名\n");
        assert_eq!(sniff_encoding(&gbk, true), Sniffed::Text(TextEncoding::Gbk));
        // A UTF-8 character cut at the sniff boundary is still UTF-8.
        let s = "决定文书号".as_bytes();
        assert_eq!(
            sniff_encoding(&s[..s.len() - 1], false),
            Sniffed::Text(TextEncoding::Utf8)
        );
        assert_eq!(sniff_encoding(b"a\0b", true), Sniffed::Binary);
        // Pseudo-random bytes over the whole range (no NUL).
        let garbage: Vec<u8> = (0..4096u32)
            .map(|i| ((i.wrapping_mul(2_654_435_761) >> 13) as u8).max(1))
            .collect();
        assert_eq!(sniff_encoding(&garbage, true), Sniffed::Unknown);
    }

    #[test]
    fn utf16_transcode() {
        let text = "决定文书号\t姓名\r\n";
        let mut bytes = Vec::new();
        for u in text.encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let mut r = Utf16ToUtf8::new(Box::new(io::Cursor::new(bytes)), encoding_rs::UTF_16LE);
        let mut out = String::new();
        r.read_to_string(&mut out).unwrap();
        assert_eq!(out, text);
    }
}
