//! Streaming JSONL: one JSON object per line, lines read with a length bound
//! (`Limits::max_row_bytes`) and at most `Limits::max_columns` values a line.

use serde_json::{Map, Value};

use crate::error::code;
use crate::source::{ByteSource, TextEncoding, decide_from, decode_cell};
use crate::{FileError, Limits};

pub(crate) enum JsonItem {
    Object {
        line: usize,
        map: Map<String, Value>,
    },
    RowError(FileError),
    Fatal(FileError),
    End,
}

pub(crate) struct JsonlSource {
    src: ByteSource,
    enc: TextEncoding,
    limits: Limits,
    line: usize,
    buf: Vec<u8>,
}

impl JsonlSource {
    pub(crate) fn new(src: ByteSource, enc: TextEncoding, limits: Limits) -> JsonlSource {
        JsonlSource {
            src,
            enc,
            limits,
            line: 0,
            buf: Vec::new(),
        }
    }

    pub(crate) fn consumed(&self) -> u64 {
        self.src.consumed()
    }

    pub(crate) fn next_item(&mut self) -> JsonItem {
        loop {
            self.buf.clear();
            let mut got_any = false;
            loop {
                match self.src.next_byte() {
                    Err(e) => return JsonItem::Fatal(FileError::unreadable(&e)),
                    Ok(None) => break,
                    Ok(Some(b)) => {
                        got_any = true;
                        if b == b'\n' {
                            break;
                        }
                        if self.buf.len() >= self.limits.max_row_bytes {
                            return JsonItem::Fatal(FileError::row_too_long(
                                self.line + 1,
                                &self.limits,
                            ));
                        }
                        self.buf.push(b);
                    }
                }
            }
            if !got_any {
                return JsonItem::End;
            }
            self.line += 1;
            let line = self.line;
            // Each value costs far more parsed than written (`0,` is a 32-byte `Value`).
            if json_values(&self.buf) > self.limits.max_columns {
                return JsonItem::Fatal(FileError::row_too_wide(line, &self.limits));
            }
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if self.enc == TextEncoding::Undecided {
                self.enc = decide_from(&self.buf);
            }
            let Some(text) = decode_cell(&self.buf, self.enc) else {
                return JsonItem::RowError(FileError::at_row(
                    code::ROW_ENCODING,
                    line,
                    format!("第 {line} 行含有无法识别的字符（乱码）：JSONL 文件应为 UTF-8 编码"),
                ));
            };
            match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(map)) => {
                    let blank = map
                        .values()
                        .all(|v| crate::cell::json_value_text(v).trim().is_empty());
                    if blank {
                        continue;
                    }
                    return JsonItem::Object { line, map };
                }
                Ok(_) => {
                    return JsonItem::RowError(FileError::at_row(
                        code::JSONL_MALFORMED,
                        line,
                        format!(
                            "第 {line} 行不是 JSON 对象：每行应为一个 {{\"键\": \"值\", …}} 形式的对象"
                        ),
                    ));
                }
                Err(e) => {
                    let col = e.column();
                    return JsonItem::RowError(FileError::at_row(
                        code::JSONL_MALFORMED,
                        line,
                        format!("第 {line} 行不是有效的 JSON（第 {col} 个字符附近有语法错误）"),
                    ));
                }
            }
        }
    }
}

/// An upper bound on the values (object members and array elements) in a JSON
/// text: one more than its separators outside strings.
fn json_values(text: &[u8]) -> usize {
    let (mut n, mut in_string, mut escaped) = (1, false, false);
    for &b in text {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (false, _, b'"') => in_string = true,
            (false, _, b',' | b':') => n += 1,
            _ => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_counted_outside_strings() {
        assert_eq!(json_values(br#"{"a":1}"#), 2);
        assert_eq!(json_values(br#"{"a,b:c":"x,\",y","b":[1,2,3]}"#), 6);
    }
}
