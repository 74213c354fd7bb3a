//! Memory does not grow with file size. This is its own test binary (its own
//! process) so that the peak-RSS measurement is not disturbed by other tests.

mod common;

use std::io::Write;
use std::path::Path;

use common::COLS;
use probity_ingest::{TableReader, code};

/// Peak resident set size of this process in KiB (Linux), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn write_file(path: &Path, header: &str, mut line: impl FnMut(usize) -> String, bytes: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f.write_all(header.as_bytes()).unwrap();
    let (mut written, mut i) = (header.len(), 0);
    while written < bytes {
        let l = line(i);
        f.write_all(l.as_bytes()).unwrap();
        written += l.len();
        i += 1;
    }
    f.flush().unwrap();
}

#[test]
fn large_files_are_streamed() {
    const SIZE: usize = 48 << 20;
    let dir = tempfile::tempdir().unwrap();
    let before = peak_rss_kib();

    // A large CSV.
    let csv = dir.path().join("big.csv");
    write_file(
        &csv,
        "决定文书号,决定日期,姓名,备注\n",
        |i| format!("纪律〔2024〕{i}号,2024-01-01,张三,\"备注，第 {i} 行\"\n"),
        SIZE,
    );
    let mut n = 0usize;
    let mut reader = TableReader::open(&csv, COLS).unwrap();
    for row in reader.by_ref() {
        let row = row.unwrap();
        n += 1;
        assert_eq!(row.number, n + 1);
    }
    assert!(n > 500_000);
    let (done, total) = reader.progress();
    assert_eq!(done, total);
    assert!(total >= SIZE as u64);

    // A large JSONL.
    let jsonl = dir.path().join("big.jsonl");
    write_file(
        &jsonl,
        "",
        |i| format!("{{\"document_no\":\"{i}\",\"decision_date\":\"2024-01-01\"}}\n"),
        SIZE,
    );
    let count = TableReader::open(&jsonl, COLS)
        .unwrap()
        .filter(|r| r.is_ok())
        .count();
    assert!(count > 500_000);

    // An unclosed quote near the top must not swallow the rest of the file.
    let unclosed = dir.path().join("unclosed.csv");
    write_file(
        &unclosed,
        "决定文书号,决定日期\n1,\"oops\n",
        |i| format!("{i},2024-01-01\n"),
        SIZE / 4,
    );
    let items: Vec<_> = TableReader::open(&unclosed, COLS)
        .unwrap()
        .take(3)
        .collect();
    assert_eq!(items[0].as_ref().unwrap_err().code, code::CSV_MALFORMED);
    assert_eq!(items[1].as_ref().unwrap().cells[0], "0");

    // One enormous line without any line break ends reading at its first
    // mebibyte (one cell) or four (one line).
    let one_line = dir.path().join("oneline.csv");
    write_file(
        &one_line,
        "决定文书号,决定日期\n",
        |_| "x".repeat(8192),
        SIZE / 4,
    );
    let items: Vec<_> = TableReader::open(&one_line, COLS).unwrap().collect();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].as_ref().unwrap_err().code, code::CELL_TOO_LONG);
    let one_line_jsonl = dir.path().join("oneline.jsonl");
    write_file(&one_line_jsonl, "{\"a\":\"", |_| "x".repeat(8192), SIZE / 4);
    let err = TableReader::open(&one_line_jsonl, COLS).unwrap_err();
    assert_eq!(err.code, code::ROW_TOO_LONG);

    if let (Some(before), Some(after)) = (before, peak_rss_kib()) {
        let grown_mib = after.saturating_sub(before) / 1024;
        eprintln!("peak RSS: {before} KiB before, {after} KiB after");
        // Files of 48 MiB each; bounded buffers are a few MiB (4 MiB record
        // and line limit, push-back).
        assert!(grown_mib < 40, "peak RSS grew by {grown_mib} MiB");
    }
}
