//! Streaming JSONL: one JSON object per line, lines read with a length bound.

use serde_json::{Map, Value};

use crate::FileError;
use crate::error::code;
use crate::source::{ByteSource, TextEncoding, decide_from, decode_cell};

/// Upper bound on one line; longer lines are skipped with a row-level error.
pub(crate) const MAX_LINE_BYTES: usize = 8 << 20;

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
    line: usize,
    buf: Vec<u8>,
}

impl JsonlSource {
    pub(crate) fn new(src: ByteSource, enc: TextEncoding) -> JsonlSource {
        JsonlSource {
            src,
            enc,
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
            let mut too_long = false;
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
                        if too_long {
                            continue;
                        }
                        if self.buf.len() >= MAX_LINE_BYTES {
                            too_long = true;
                            self.buf = Vec::new();
                        } else {
                            self.buf.push(b);
                        }
                    }
                }
            }
            if !got_any {
                return JsonItem::End;
            }
            self.line += 1;
            let line = self.line;
            if too_long {
                return JsonItem::RowError(FileError::at_row(
                    code::JSONL_MALFORMED,
                    line,
                    format!("第 {line} 行过长（超过 8 MiB），已跳过"),
                ));
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
