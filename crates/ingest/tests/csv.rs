//! CSV reading: encodings, headers, row numbers, malformed input.

mod common;

use common::{COLS, rows, write};
use probity_ingest::{ColumnSpec, Format, TableReader, code};

const TEXT: &str = "决定文书号,决定日期,姓名,备注\r\n\
纪律〔2024〕1号,2024-01-15,张三,无\r\n\
\"纪律〔2024〕2号\", 2024-02-01 ,\"李四，副处长\",\r\n";

fn expected() -> Vec<Vec<String>> {
    vec![
        vec!["纪律〔2024〕1号", "2024-01-15", "张三", ""],
        vec!["纪律〔2024〕2号", "2024-02-01", "李四，副处长", ""],
    ]
    .into_iter()
    .map(|r| r.into_iter().map(String::from).collect())
    .collect()
}

#[test]
fn utf8_utf8_bom_and_gbk_read_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let (gbk, _, had_errors) = encoding_rs::GBK.encode(TEXT);
    assert!(!had_errors);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(TEXT.as_bytes());
    for (name, bytes) in [
        ("utf8.csv", TEXT.as_bytes().to_vec()),
        ("bom.csv", bom),
        ("gbk.csv", gbk.into_owned()),
    ] {
        let path = write(dir.path(), name, &bytes);
        let reader = TableReader::open(&path, COLS).unwrap();
        assert_eq!(reader.format(), Format::Csv);
        assert_eq!(
            reader.headers_found(),
            vec!["document_no", "decision_date", "name"]
        );
        let rows: Vec<_> = reader.map(|r| r.unwrap()).collect();
        let cells: Vec<Vec<String>> = rows.iter().map(|r| r.cells.clone()).collect();
        assert_eq!(cells, expected(), "{name}");
        assert_eq!(
            rows.iter().map(|r| r.number).collect::<Vec<_>>(),
            [2, 3],
            "{name}"
        );
    }
}

#[test]
fn utf16_tab_separated_unicode_text() {
    // Excel's "Unicode 文本" export: UTF-16LE with BOM, tab-separated.
    let text = TEXT.replace(',', "\t").replace("李四，副处长", "李四");
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "unicode.txt", &bytes);
    let rows = rows(&path);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].cells[0], "纪律〔2024〕2号");
    assert_eq!(rows[1].cells[2], "李四");
}

#[test]
fn gbk_decided_late_when_the_first_64k_are_ascii() {
    let mut text = String::from("document_no,decision_date,name\n");
    let mut n = 1;
    while text.len() < 70_000 {
        n += 1;
        text.push_str(&format!("DOC-{n},2024-01-01,ascii\n"));
    }
    text.push_str("DOC-X,2024-01-02,王五\n");
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "late.csv", &gbk);
    let rows = rows(&path);
    let last = rows.last().unwrap();
    assert_eq!(last.cells, ["DOC-X", "2024-01-02", "王五", ""]);
    assert_eq!(last.number, n + 1);
}

#[test]
fn header_markers_aliases_and_case() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "\u{feff} 文书号* ,决定日期（必填）,NAME,金额(元),未知列\n1号,2024-01-01,张三,100,x\n";
    let path = write(dir.path(), "h.csv", text.as_bytes());
    let reader = TableReader::open(&path, COLS).unwrap();
    assert_eq!(
        reader.headers_found(),
        vec!["document_no", "decision_date", "name", "amount"]
    );
    let rows: Vec<_> = reader.map(|r| r.unwrap()).collect();
    assert_eq!(rows[0].cells, ["1号", "2024-01-01", "张三", "100"]);

    let text = "Document_No,DECISION_DATE(必填)\n1,2\n";
    let path = write(dir.path(), "h2.csv", text.as_bytes());
    assert_eq!(rows_of(&path), vec![vec!["1", "2", "", ""]]);
}

fn rows_of(path: &std::path::Path) -> Vec<Vec<String>> {
    rows(path).into_iter().map(|r| r.cells).collect()
}

#[test]
fn missing_required_columns_are_all_listed() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "m.csv", "姓名,备注\n张三,x\n".as_bytes());
    let err = TableReader::open(&path, COLS).unwrap_err();
    assert_eq!(err.code, code::HEADER_MISSING_COLUMN);
    assert_eq!(err.message, "缺少必填列：决定文书号、决定日期");
    assert!(err.fatal);

    let path = write(dir.path(), "m2.csv", "决定文书号,姓名\n1,张三\n".as_bytes());
    let err = TableReader::open(&path, COLS).unwrap_err();
    assert_eq!(err.message, "缺少必填列：决定日期");
}

#[test]
fn empty_and_zero_byte_files() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("zero.csv", &b""[..]),
        ("blank.csv", &b"\r\n  \n,,\n"[..]),
        ("bom.csv", &b"\xEF\xBB\xBF"[..]),
        ("zero.xlsx", &b""[..]),
        ("zero.jsonl", &b""[..]),
        ("blank.jsonl", &b"\n \n"[..]),
        ("zero.dat", &b""[..]),
    ] {
        let path = write(dir.path(), name, bytes);
        let err = TableReader::open(&path, COLS).unwrap_err();
        assert_eq!(err.code, code::FILE_EMPTY, "{name}: {err:?}");
    }
    // A header without data is not an error: zero rows.
    let path = write(dir.path(), "header.csv", "决定文书号,决定日期\n".as_bytes());
    assert!(rows(&path).is_empty());
}

#[test]
fn not_found_is_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let err = TableReader::open(&dir.path().join("nope.csv"), COLS).unwrap_err();
    assert_eq!(err.code, code::FILE_UNREADABLE);
    let err = TableReader::open(dir.path(), COLS).unwrap_err();
    assert_eq!(err.code, code::FILE_UNREADABLE);
}

#[test]
fn row_numbers_count_blank_rows_and_multiline_cells() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\n决定文书号,决定日期\n1,a\n\n , \n2,\"多\n行\"\n3,c";
    let path = write(dir.path(), "n.csv", text.as_bytes());
    let rows = rows(&path);
    let got: Vec<(usize, &str, &str)> = rows
        .iter()
        .map(|r| (r.number, r.cells[0].as_str(), r.cells[1].as_str()))
        .collect();
    // Row 1 is blank, the header is row 2; rows 4 and 5 are blank.
    assert_eq!(got, [(3, "1", "a"), (6, "2", "多\n行"), (7, "3", "c")]);
}

#[test]
fn title_rows_above_the_header_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let text = "2024 年度处分决定汇总表,,\n填报单位：某某纪委,,\n决定文书号,决定日期,姓名\n1,2024-01-01,张三\n";
    let path = write(dir.path(), "t.csv", text.as_bytes());
    let rows = rows(&path);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].number, 4);
    assert_eq!(rows[0].cells[2], "张三");
}

#[test]
fn unclosed_quote_is_a_row_error_and_reading_continues() {
    let dir = tempfile::tempdir().unwrap();
    let text = "决定文书号,决定日期\n1,\"2024-01-01\n2,2024-01-02\n3,2024-01-03\n";
    let path = write(dir.path(), "q.csv", text.as_bytes());
    let items: Vec<_> = TableReader::open(&path, COLS).unwrap().collect();
    assert_eq!(items.len(), 3);
    let err = items[0].as_ref().unwrap_err();
    assert_eq!(err.code, code::CSV_MALFORMED);
    assert_eq!(err.row, Some(2));
    assert!(!err.fatal);
    let r = items[1].as_ref().unwrap();
    assert_eq!((r.number, r.cells[0].as_str()), (3, "2"));
    let r = items[2].as_ref().unwrap();
    assert_eq!((r.number, r.cells[0].as_str()), (4, "3"));
}

#[test]
fn undecodable_cell_is_a_row_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = "决定文书号,决定日期,姓名\n1,2024-01-01,张三\n2,2024-01-02,"
        .as_bytes()
        .to_vec();
    bytes.extend_from_slice(&[0xFF, 0xFE, 0xFD]);
    bytes.extend_from_slice("\n3,2024-01-03,李四\n".as_bytes());
    let path = write(dir.path(), "e.csv", &bytes);
    let items: Vec<_> = TableReader::open(&path, COLS).unwrap().collect();
    assert_eq!(items.len(), 3);
    let err = items[1].as_ref().unwrap_err();
    assert_eq!(err.code, code::ROW_ENCODING);
    assert_eq!(err.row, Some(3));
    assert!(err.message.contains("姓名"), "{}", err.message);
    assert_eq!(items[2].as_ref().unwrap().cells[2], "李四");

    // A replacement character left by an earlier bad conversion is flagged too.
    let path = write(
        dir.path(),
        "fffd.csv",
        "决定文书号,决定日期\n1,2024\u{fffd}\n".as_bytes(),
    );
    let items: Vec<_> = TableReader::open(&path, COLS).unwrap().collect();
    assert_eq!(items[0].as_ref().unwrap_err().code, code::ROW_ENCODING);
}

#[test]
fn undetectable_encoding_and_binary_content() {
    let dir = tempfile::tempdir().unwrap();
    // High bytes in invalid UTF-8 and invalid GBK sequences, no NUL.
    let bytes: Vec<u8> = (0..2000u32)
        .flat_map(|i| [0x80u8, 0xFF, b'a' + (i % 26) as u8, b','])
        .collect();
    let path = write(dir.path(), "enc.csv", &bytes);
    let err = TableReader::open(&path, COLS).unwrap_err();
    assert_eq!(err.code, code::FILE_ENCODING);
    assert_eq!(
        err.message,
        "文件编码无法识别：请另存为 UTF-8 或 GBK 编码的 CSV"
    );

    let path = write(dir.path(), "nul.csv", b"a,b\n\0\0\0,1\n");
    let err = TableReader::open(&path, COLS).unwrap_err();
    assert_eq!(err.code, code::FILE_FORMAT);
}

#[test]
fn excel_text_protections_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let text = "决定文书号,决定日期,姓名\n=\"0012\",'=1+1,'普通\n";
    let path = write(dir.path(), "x.csv", text.as_bytes());
    let rows = rows(&path);
    assert_eq!(rows[0].cells[..3], ["0012", "=1+1", "'普通"]);
}

#[test]
fn extra_and_missing_fields_are_fine() {
    let dir = tempfile::tempdir().unwrap();
    let text = "决定文书号,决定日期,姓名\n1\n2,b,c,d,e\n";
    let path = write(dir.path(), "f.csv", text.as_bytes());
    let got: Vec<Vec<String>> = rows(&path).into_iter().map(|r| r.cells).collect();
    assert_eq!(got, [["1", "", "", ""], ["2", "b", "c", ""]]);
}

#[test]
fn progress_reaches_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "p.csv", TEXT.as_bytes());
    let mut reader = TableReader::open(&path, COLS).unwrap();
    let total = TEXT.len() as u64;
    let (done, t) = reader.progress();
    assert_eq!(t, total);
    assert!(done <= total);
    while reader.next().is_some() {}
    assert_eq!(reader.progress(), (total, total));
}

#[test]
fn format_detection() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(Format::parse("CSV"), Some(Format::Csv));
    assert_eq!(Format::parse("xlsx"), Some(Format::Xlsx));
    assert_eq!(Format::parse("jsonl"), Some(Format::Jsonl));
    assert_eq!(Format::parse("pdf"), None);
    let p = write(dir.path(), "a.CSV", b"");
    assert_eq!(Format::from_path(&p).unwrap(), Format::Csv);
    let p = write(dir.path(), "a.ndjson", b"");
    assert_eq!(Format::from_path(&p).unwrap(), Format::Jsonl);
    let p = write(dir.path(), "a.json", b"");
    assert_eq!(Format::from_path(&p).unwrap(), Format::Jsonl);
    let p = write(dir.path(), "upload.bin", b"PK\x03\x04rest");
    assert_eq!(Format::from_path(&p).unwrap(), Format::Xlsx);
    let p = write(dir.path(), "upload", b"\xEF\xBB\xBF  {\"a\":1}\n");
    assert_eq!(Format::from_path(&p).unwrap(), Format::Jsonl);
    let p = write(dir.path(), "upload.dat", "姓名\n".as_bytes());
    assert_eq!(Format::from_path(&p).unwrap(), Format::Csv);
    let p = write(dir.path(), "old.xls", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    assert_eq!(Format::from_path(&p).unwrap_err().code, code::FILE_FORMAT);
    let p = write(dir.path(), "old.bin", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    assert_eq!(Format::from_path(&p).unwrap_err().code, code::FILE_FORMAT);
    let err = Format::from_path(&dir.path().join("missing")).unwrap_err();
    assert_eq!(err.code, code::FILE_UNREADABLE);
}

#[test]
fn no_columns_and_optional_only_specs() {
    // Without any recognised column and no required one, the first row is the
    // header and every later row is data (with empty cells).
    const OPT: &[ColumnSpec] = &[ColumnSpec::new("x", "某列", false)];
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "o.csv", b"a,b\n1,2\n3,4\n");
    let rows: Vec<_> = TableReader::open(&path, OPT)
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].number, 2);
    assert_eq!(rows[0].cells, [""]);
}
