//! Arbitrary input never panics: it gives rows or `FileError`s.

mod common;

use std::path::Path;

use common::{COLS, random_bytes, write};
use probity_ingest::{Format, TableReader, TableWriter};
use proptest::prelude::*;

/// Opens and drains a reader; returns the number of items (bounded so a bug
/// cannot loop forever).
fn drain(path: &Path, format: Option<Format>) -> Result<usize, probity_ingest::FileError> {
    let reader = match format {
        Some(f) => TableReader::open_as(path, f, COLS)?,
        None => TableReader::open(path, COLS)?,
    };
    let mut n = 0;
    let mut saw_fatal = false;
    for item in reader {
        assert!(!saw_fatal, "an item after a fatal error");
        if let Err(e) = &item {
            assert!(!e.message.is_empty());
            saw_fatal = e.fatal;
        }
        n += 1;
        assert!(n < 10_000_000, "runaway iteration");
    }
    Ok(n)
}

#[test]
fn one_megabyte_of_random_bytes_is_a_file_error() {
    let dir = tempfile::tempdir().unwrap();
    for seed in [1u64, 0x9E37_79B9_7F4A_7C15, 42] {
        let bytes = random_bytes(1 << 20, seed);
        for name in ["r.csv", "r.jsonl", "r.xlsx", "r.bin", "r.txt"] {
            let path = write(dir.path(), name, &bytes);
            let err = TableReader::open(&path, COLS).unwrap_err();
            assert!(err.fatal, "{name}: {err:?}");
            for f in [Format::Csv, Format::Jsonl, Format::Xlsx] {
                assert!(drain(&path, Some(f)).is_err(), "{name} as {f}");
            }
        }
    }
}

#[test]
fn random_high_bytes_without_nul_are_an_encoding_error() {
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = random_bytes(1 << 20, 7)
        .into_iter()
        .map(|b| b.max(1))
        .collect();
    let path = write(dir.path(), "r.csv", &bytes);
    let err = TableReader::open(&path, COLS).unwrap_err();
    assert_eq!(err.code, probity_ingest::code::FILE_ENCODING, "{err:?}");
}

/// A valid small .xlsx to mutate.
fn sample_xlsx() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.xlsx");
    let mut w = TableWriter::create(
        &path,
        Format::Xlsx,
        &[("document_no", "决定文书号"), ("decision_date", "决定日期")],
    )
    .unwrap();
    for i in 0..20 {
        w.write_row(&[&format!("文书{i}"), "2024-01-01"]).unwrap();
    }
    w.finish().unwrap();
    std::fs::read(&path).unwrap()
}

fn csv_like() -> impl Strategy<Value = Vec<u8>> {
    // Bytes biased towards CSV structure so that the parser's states are hit.
    let piece = prop_oneof![
        Just(b",".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\t".to_vec()),
        Just("决定文书号".as_bytes().to_vec()),
        Just("决定日期".as_bytes().to_vec()),
        Just(b"{\"document_no\":".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"\xFF\xFE".to_vec()),
        Just(vec![0xB6, 0xA8]),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(piece, 0..64).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "x.bin", &bytes);
        let _ = drain(&path, None);
        for f in [Format::Csv, Format::Jsonl, Format::Xlsx] {
            let _ = drain(&path, Some(f));
        }
    }

    #[test]
    fn structured_text_never_panics(bytes in csv_like()) {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "x.csv", &bytes);
        let _ = drain(&path, None);
        let _ = drain(&path, Some(Format::Jsonl));
    }

    #[test]
    fn mutated_xlsx_never_panics(
        cut in proptest::option::of(0usize..100_000),
        flips in prop::collection::vec((0usize..100_000, any::<u8>()), 0..8),
    ) {
        let mut bytes = sample_xlsx();
        for (pos, b) in flips {
            let i = pos % bytes.len();
            bytes[i] = b;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut % (bytes.len() + 1));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "x.xlsx", &bytes);
        let _ = drain(&path, None);
    }
}
