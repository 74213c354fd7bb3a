//! A small streaming CSV record parser over raw bytes.
//!
//! Parsing works on undecoded bytes: in UTF-8 and in GBK/GB18030 every byte of a
//! multi-byte character is ≥ 0x30 and never one of `"` `,` TAB CR LF, so records
//! can be split before decoding and each cell decoded on its own (a bad byte
//! spoils one cell, not the file).
//!
//! Compared with the `csv` crate this parser bounds memory per record (the
//! [`Limits`] on a record, a field and the number of fields are checked before
//! the bytes are kept), reports an unclosed quote instead of swallowing the rest
//! of the file into one cell, and re-synchronises on the line after the one
//! where the bad record started. Quoting follows RFC 4180 leniently, as Excel
//! does: a quote inside an unquoted field is literal, and text after a closing
//! quote is appended.

use std::io;

use crate::Limits;
use crate::source::ByteSource;

/// Upper bound on line breaks inside one quoted field (Excel allows 253).
pub(crate) const MAX_QUOTED_LINES: usize = 1024;

/// One parse step.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// A record (possibly a blank line: one empty field).
    Record(Vec<Vec<u8>>),
    /// A quoted field was never closed (or, spanning lines, ran past the
    /// limits); parsing resumes on the line after the one where the record
    /// started.
    Unclosed,
    /// A record longer than `Limits::max_row_bytes`. Parsing cannot go on.
    RowTooLong,
    /// A field longer than `Limits::max_cell_bytes`, in the given 1-based
    /// column. Parsing cannot go on.
    CellTooLong(usize),
    /// A record with more fields than `Limits::max_columns`. Parsing cannot go on.
    TooWide,
    /// End of input.
    Eof,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

pub(crate) struct CsvParser {
    src: ByteSource,
    delim: u8,
    /// The previous record ended with CR: swallow one LF.
    skip_lf: bool,
    raw: Vec<u8>,
    max_record: usize,
    max_field: usize,
    max_fields: usize,
}

impl CsvParser {
    pub(crate) fn new(src: ByteSource, delim: u8, limits: &Limits) -> CsvParser {
        CsvParser {
            src,
            delim,
            skip_lf: false,
            raw: Vec::new(),
            max_record: limits.max_row_bytes,
            max_field: limits.max_cell_bytes,
            max_fields: limits.max_columns,
        }
    }

    /// Bytes consumed from the underlying input.
    pub(crate) fn consumed(&self) -> u64 {
        self.src.consumed()
    }

    pub(crate) fn next_record(&mut self) -> io::Result<Parsed> {
        if self.skip_lf {
            self.skip_lf = false;
            if self.src.peek_byte()? == Some(b'\n') {
                self.src.next_byte()?;
            }
        }
        self.raw.clear();
        let mut fields: Vec<Vec<u8>> = Vec::new();
        let mut field: Vec<u8> = Vec::new();
        let mut state = State::Start;
        let mut quoted_lines = 0usize;
        let delim = self.delim;

        loop {
            let Some(b) = self.src.next_byte()? else {
                return Ok(match state {
                    State::Quoted => self.resync(),
                    _ if self.raw.is_empty() => Parsed::Eof,
                    _ => self.end_record(fields, field),
                });
            };
            self.raw.push(b);
            if self.raw.len() > self.max_record {
                // A record that runs on over lines is an unclosed quote, not a long row.
                if quoted_lines > 0 {
                    return Ok(self.resync());
                }
                return Ok(Parsed::RowTooLong);
            }
            match state {
                State::Start | State::Unquoted => {
                    if b == delim {
                        if !self.push_field(&mut fields, &mut field) {
                            return Ok(Parsed::TooWide);
                        }
                        state = State::Start;
                    } else if b == b'\r' || b == b'\n' {
                        self.skip_lf = b == b'\r';
                        return Ok(self.end_record(fields, field));
                    } else if b == b'"' && state == State::Start {
                        state = State::Quoted;
                    } else {
                        field.push(b);
                        state = State::Unquoted;
                    }
                }
                State::Quoted => {
                    if b == b'"' {
                        state = State::QuoteInQuoted;
                    } else {
                        if b == b'\n' || b == b'\r' {
                            quoted_lines += 1;
                            if quoted_lines > MAX_QUOTED_LINES {
                                return Ok(self.resync());
                            }
                        }
                        field.push(b);
                    }
                }
                State::QuoteInQuoted => {
                    if b == b'"' {
                        field.push(b'"');
                        state = State::Quoted;
                    } else if b == delim {
                        if !self.push_field(&mut fields, &mut field) {
                            return Ok(Parsed::TooWide);
                        }
                        state = State::Start;
                    } else if b == b'\r' || b == b'\n' {
                        self.skip_lf = b == b'\r';
                        return Ok(self.end_record(fields, field));
                    } else {
                        field.push(b);
                        state = State::Unquoted;
                    }
                }
            }
            if field.len() > self.max_field {
                if quoted_lines > 0 {
                    return Ok(self.resync());
                }
                return Ok(Parsed::CellTooLong(fields.len() + 1));
            }
        }
    }

    /// Gives back the bytes after the first line break of the current record
    /// so that they are parsed again as new records.
    fn resync(&mut self) -> Parsed {
        if let Some(i) = self.raw.iter().position(|&b| b == b'\n' || b == b'\r') {
            let mut start = i + 1;
            if self.raw[i] == b'\r' && self.raw.get(start) == Some(&b'\n') {
                start += 1;
            }
            let tail = self.raw.get(start..).unwrap_or(&[]).to_vec();
            self.src.push_back(&tail);
        }
        self.raw.clear();
        Parsed::Unclosed
    }

    /// Adds the field just read; `false` if the record already has as many
    /// fields as allowed.
    fn push_field(&self, fields: &mut Vec<Vec<u8>>, field: &mut Vec<u8>) -> bool {
        if fields.len() >= self.max_fields {
            return false;
        }
        fields.push(std::mem::take(field));
        true
    }

    fn end_record(&self, mut fields: Vec<Vec<u8>>, mut field: Vec<u8>) -> Parsed {
        if self.push_field(&mut fields, &mut field) {
            Parsed::Record(fields)
        } else {
            Parsed::TooWide
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Vec<String> {
        parse_with(input, &Limits::DEFAULT)
    }

    fn parse_with(input: &[u8], limits: &Limits) -> Vec<String> {
        let src = ByteSource::new(Box::new(io::Cursor::new(input.to_vec())));
        let mut p = CsvParser::new(src, b',', limits);
        let mut out = Vec::new();
        loop {
            match p.next_record().unwrap() {
                Parsed::Record(f) => out.push(
                    f.iter()
                        .map(|x| String::from_utf8_lossy(x).into_owned())
                        .collect::<Vec<_>>()
                        .join("|"),
                ),
                Parsed::Unclosed => out.push("<unclosed>".into()),
                Parsed::RowTooLong => return [out, vec!["<row too long>".into()]].concat(),
                Parsed::CellTooLong(c) => {
                    return [out, vec![format!("<cell {c} too long>")]].concat();
                }
                Parsed::TooWide => return [out, vec!["<too wide>".into()]].concat(),
                Parsed::Eof => return out,
            }
        }
    }

    #[test]
    fn basic_quoting() {
        assert_eq!(
            parse_all(b"a,b\r\n\"x,\"\"y\"\"\",\"l1\nl2\"\n\n3,4"),
            vec!["a|b", "x,\"y\"|l1\nl2", "", "3|4"]
        );
        assert_eq!(parse_all(b"a\rb\r\n"), vec!["a", "b"]);
        assert_eq!(parse_all(b"ab\"c,\"d\"e\n"), vec!["ab\"c|de"]);
        assert_eq!(parse_all(b""), Vec::<String>::new());
        assert_eq!(parse_all(b"a,"), vec!["a|"]);
    }

    #[test]
    fn unclosed_quote_resyncs_on_next_line() {
        assert_eq!(
            parse_all(b"h1,h2\n1,\"oops\n2,3\n4,5\n"),
            vec!["h1|h2", "<unclosed>", "2|3", "4|5"]
        );
        assert_eq!(parse_all(b"1,\"oops"), vec!["<unclosed>"]);
    }

    #[test]
    fn limits_end_parsing() {
        let limits = Limits {
            max_row_bytes: 16,
            max_cell_bytes: 8,
            max_columns: 3,
            ..Limits::DEFAULT
        };
        let p = |input: &[u8]| parse_with(input, &limits);
        assert_eq!(p(b"a,b,c\n1234567,x\n"), vec!["a|b|c", "1234567|x"]);
        assert_eq!(
            p(b"a,b,c\n123456789,x\n"),
            vec!["a|b|c", "<cell 1 too long>"]
        );
        assert_eq!(p(b"a,\"123456789\"\n"), vec!["<cell 2 too long>"]);
        assert_eq!(p(b"a,b,c,d\n"), vec!["<too wide>"]);
        assert_eq!(p(b"a,b,c,\n"), vec!["<too wide>"]);
        assert_eq!(
            p(b"a,b,c\n12345,12345,1234\n"),
            vec!["a|b|c", "<row too long>"]
        );
        // A quoted field running over lines is an unclosed quote: reading goes on.
        assert_eq!(p(b"1,\"a\nbc\n2,3\n"), vec!["<unclosed>", "bc", "2|3"]);
        assert_eq!(p(b"12345678,x\n"), vec!["12345678|x"]);
    }
}
