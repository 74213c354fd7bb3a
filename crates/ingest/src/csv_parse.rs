//! A small streaming CSV record parser over raw bytes.
//!
//! Parsing works on undecoded bytes: in UTF-8 and in GBK/GB18030 every byte of a
//! multi-byte character is ≥ 0x30 and never one of `"` `,` TAB CR LF, so records
//! can be split before decoding and each cell decoded on its own (a bad byte
//! spoils one cell, not the file).
//!
//! Compared with the `csv` crate this parser bounds memory per record, reports
//! an unclosed quote instead of swallowing the rest of the file into one cell,
//! and re-synchronises on the line after the one where the bad record started.
//! Quoting follows RFC 4180 leniently, as Excel does: a quote inside an
//! unquoted field is literal, and text after a closing quote is appended.

use std::io;

use crate::source::ByteSource;

/// Upper bound on the bytes of one record.
pub(crate) const MAX_RECORD_BYTES: usize = 4 << 20;
/// Upper bound on line breaks inside one quoted field (Excel allows 253).
pub(crate) const MAX_QUOTED_LINES: usize = 1024;
/// Fields beyond this many (Excel's column limit) are dropped.
pub(crate) const MAX_FIELDS: usize = 16_384;

/// One parse step.
#[derive(Debug)]
pub(crate) enum Parsed {
    /// A record (possibly a blank line: one empty field).
    Record(Vec<Vec<u8>>),
    /// A quoted field was never closed (or ran past the limits); parsing
    /// resumes on the line after the one where the record started.
    Unclosed,
    /// An unquoted line longer than [`MAX_RECORD_BYTES`]; it was skipped.
    TooLong,
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
}

impl CsvParser {
    pub(crate) fn new(src: ByteSource, delim: u8) -> CsvParser {
        CsvParser {
            src,
            delim,
            skip_lf: false,
            raw: Vec::new(),
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
                    _ => {
                        push_field(&mut fields, &mut field);
                        Parsed::Record(fields)
                    }
                });
            };
            self.raw.push(b);
            if self.raw.len() > MAX_RECORD_BYTES {
                if state == State::Quoted || state == State::QuoteInQuoted {
                    return Ok(self.resync());
                }
                self.skip_line(b)?;
                return Ok(Parsed::TooLong);
            }
            match state {
                State::Start | State::Unquoted => {
                    if b == delim {
                        push_field(&mut fields, &mut field);
                        state = State::Start;
                    } else if b == b'\r' || b == b'\n' {
                        self.skip_lf = b == b'\r';
                        push_field(&mut fields, &mut field);
                        return Ok(Parsed::Record(fields));
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
                        push_field(&mut fields, &mut field);
                        state = State::Start;
                    } else if b == b'\r' || b == b'\n' {
                        self.skip_lf = b == b'\r';
                        push_field(&mut fields, &mut field);
                        return Ok(Parsed::Record(fields));
                    } else {
                        field.push(b);
                        state = State::Unquoted;
                    }
                }
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

    /// Discards input up to and including the next line break.
    fn skip_line(&mut self, last: u8) -> io::Result<()> {
        self.raw.clear();
        if last == b'\n' {
            return Ok(());
        }
        if last == b'\r' {
            self.skip_lf = true;
            return Ok(());
        }
        while let Some(b) = self.src.next_byte()? {
            if b == b'\n' {
                break;
            }
            if b == b'\r' {
                self.skip_lf = true;
                break;
            }
        }
        Ok(())
    }
}

fn push_field(fields: &mut Vec<Vec<u8>>, field: &mut Vec<u8>) {
    let f = std::mem::take(field);
    if fields.len() < MAX_FIELDS {
        fields.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Vec<String> {
        let src = ByteSource::new(Box::new(io::Cursor::new(input.to_vec())));
        let mut p = CsvParser::new(src, b',');
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
                Parsed::TooLong => out.push("<toolong>".into()),
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
}
