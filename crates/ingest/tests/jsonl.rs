//! JSONL reading, and CSV/JSONL export round trips.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{COLS, rows, write};
use probity_ingest::{Format, TableReader, TableWriter, code};

#[test]
fn jsonl_rows_values_and_a_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = concat!(
        "{\"document_no\":\"1号\",\"decision_date\":\"2024-01-01\",\"name\":\" 张三 \",\"amount\":100}\n",
        "\n",
        "not json at all\n",
        "[1,2,3]\n",
        "{\"决定文书号\":\"2号\",\"决定日期\":\"2024-01-02\",\"金额（元）\":12.50,\"extra\":true}\r\n",
        "{\"DOCUMENT_NO\":3,\"decision_date\":null,\"name\":false,\"amount\":1.0e3}\n",
        "{}\n",
        "{\"document_no\":\"5号\"",
    );
    let path = write(dir.path(), "a.jsonl", text.as_bytes());
    let mut reader = TableReader::open(&path, COLS).unwrap();
    assert_eq!(reader.format(), Format::Jsonl);
    assert_eq!(
        reader.headers_found(),
        ["document_no", "decision_date", "name", "amount"]
    );
    let items: Vec<_> = reader.by_ref().collect();
    let summary: Vec<String> = items
        .iter()
        .map(|i| match i {
            Ok(r) => format!("{}:{}", r.number, r.cells.join("|")),
            Err(e) => format!("{}:{}:{}", e.row.unwrap_or(0), e.code, e.fatal),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "1:1号|2024-01-01|张三|100",
            "3:JSONL_MALFORMED:false",
            "4:JSONL_MALFORMED:false",
            "5:2号|2024-01-02||12.5",
            "6:3||false|1000",
            "8:JSONL_MALFORMED:false",
        ]
    );
    assert!(
        items[1]
            .as_ref()
            .unwrap_err()
            .message
            .starts_with("第 3 行")
    );
    assert_eq!(reader.progress().0, reader.progress().1);
}

#[test]
fn jsonl_rejects_arrays_binary_and_non_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "arr.json", b"[\n {\"a\": 1}\n]\n");
    assert_eq!(
        TableReader::open(&path, COLS).unwrap_err().code,
        code::FILE_FORMAT
    );
    let path = write(dir.path(), "bin.jsonl", b"{\"a\":\0}\n");
    assert_eq!(
        TableReader::open(&path, COLS).unwrap_err().code,
        code::FILE_FORMAT
    );
    // A GBK-encoded JSONL line is still understood.
    let (gbk, _, _) = encoding_rs::GBK.encode("{\"决定文书号\":\"1号\"}\n");
    let path = write(dir.path(), "gbk.jsonl", &gbk);
    assert_eq!(rows(&path)[0].cells[0], "1号");
}

/// A `Write` into a shared buffer, to capture `to_writer` output.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const HEADERS: &[(&str, &str)] = &[
    ("document_no", "决定文书号"),
    ("decision_date", "决定日期"),
    ("name", "姓名"),
];

#[test]
fn csv_export_has_bom_chinese_headers_and_guards_formulas() {
    let out = Shared::default();
    let mut w = TableWriter::to_writer(Box::new(out.clone()), Format::Csv, HEADERS).unwrap();
    w.write_row(&["1号", "2024-01-01", "张三，\"老张\""])
        .unwrap();
    w.write_row(&["=HYPERLINK(\"x\")", "-5", "+86 138"])
        .unwrap();
    w.write_row(&["3"]).unwrap();
    assert_eq!(
        w.write_row(&["a", "b", "c", "d"]).unwrap_err().code,
        code::FILE_UNWRITABLE
    );
    assert_eq!(w.finish().unwrap(), 3);
    let bytes = out.0.lock().unwrap().clone();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert_eq!(
        text,
        "\u{feff}决定文书号,决定日期,姓名\r\n\
         1号,2024-01-01,\"张三，\"\"老张\"\"\"\r\n\
         \"'=HYPERLINK(\"\"x\"\")\",-5,'+86 138\r\n\
         3,,\r\n"
    );

    // Reading the export back gives the original values.
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "export.csv", &bytes);
    let cells: Vec<Vec<String>> = rows(&path).into_iter().map(|r| r.cells).collect();
    assert_eq!(cells[0][..3], ["1号", "2024-01-01", "张三，\"老张\""]);
    assert_eq!(cells[1][..3], ["=HYPERLINK(\"x\")", "-5", "+86 138"]);
}

#[test]
fn jsonl_export_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.jsonl");
    let mut w = TableWriter::create(&path, Format::Jsonl, HEADERS).unwrap();
    w.write_row(&["1号", "2024-01-01", "张\"三\n"]).unwrap();
    w.write_row(&["2号"]).unwrap();
    assert_eq!(w.finish().unwrap(), 2);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        "{\"document_no\":\"1号\",\"decision_date\":\"2024-01-01\",\"name\":\"张\\\"三\\n\"}\n\
         {\"document_no\":\"2号\",\"decision_date\":\"\",\"name\":\"\"}\n"
    );
    let rows = rows(&path);
    assert_eq!(rows[0].cells[..3], ["1号", "2024-01-01", "张\"三"]);
    assert_eq!(rows[1].number, 2);
}

#[test]
fn unwritable_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/out.csv");
    for format in [Format::Csv, Format::Jsonl, Format::Xlsx] {
        let err = TableWriter::create(&path, format, HEADERS).unwrap_err();
        assert_eq!(err.code, code::FILE_UNWRITABLE);
    }
}
