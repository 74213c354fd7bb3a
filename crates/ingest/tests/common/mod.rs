//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use probity_ingest::{ColumnSpec, FileError, Row, TableReader};

pub const COLS: &[ColumnSpec] = &[
    ColumnSpec {
        key: "document_no",
        header: "决定文书号",
        required: true,
        aliases: &["文书号"],
    },
    ColumnSpec {
        key: "decision_date",
        header: "决定日期",
        required: true,
        aliases: &[],
    },
    ColumnSpec {
        key: "name",
        header: "姓名",
        required: false,
        aliases: &["被处分人"],
    },
    ColumnSpec {
        key: "amount",
        header: "金额（元）",
        required: false,
        aliases: &[],
    },
];

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Opens with `COLS` and reads every item.
pub fn read_all(path: &Path) -> Result<Vec<Result<Row, FileError>>, FileError> {
    let reader = TableReader::open(path, COLS)?;
    Ok(reader.collect())
}

pub fn rows(path: &Path) -> Vec<Row> {
    read_all(path)
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

/// A deterministic xorshift byte generator.
pub fn random_bytes(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The text of one part of an .xlsx (zip) file.
pub fn xlsx_part(path: &Path, part: &str) -> String {
    use std::io::Read;
    let file = std::fs::File::open(path).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut entry = zip.by_name(part).unwrap();
    let mut s = String::new();
    entry.read_to_string(&mut s).unwrap();
    s
}

pub mod craft;
