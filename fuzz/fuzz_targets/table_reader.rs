//! `TableReader::open` + full iteration on arbitrary bytes saved as `.csv`, `.jsonl` and `.xlsx`:
//! never panics (in the caller's thread or in the XLSX helper thread), every row is aligned
//! with the column specs, and nothing is yielded after a fatal error.
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use probity_ingest::{ColumnSpec, TableReader};

const COLUMNS: &[ColumnSpec] = &[
    ColumnSpec {
        key: "name",
        header: "名称",
        required: true,
        aliases: &["主体名称"],
    },
    ColumnSpec::new("uscc", "统一社会信用代码", false),
    ColumnSpec::new("decided_on", "决定日期", false),
];

/// One file per extension, fixed per process (several fuzzing jobs may run side by side).
/// Set `TMPDIR=/dev/shm` to keep them in memory.
static PATHS: LazyLock<[PathBuf; 3]> = LazyLock::new(|| {
    let dir = std::env::temp_dir();
    let pid = std::process::id();
    ["csv", "jsonl", "xlsx"].map(|ext| dir.join(format!("probity-fuzz-{pid}.{ext}")))
});

fuzz_target!(|data: &[u8]| {
    for path in PATHS.iter() {
        std::fs::write(path, data).expect("write the fuzz input to the temp dir");
        let opened = TableReader::open(path, COLUMNS);
        // The reader holds its own handle: remove the file now so that nothing is left behind
        // when the process ends (a crash leaves at most these three files).
        let _ = std::fs::remove_file(path);
        let Ok(mut reader) = opened else {
            continue;
        };
        let _ = (reader.format(), reader.headers_found(), reader.progress());
        let mut fatal = false;
        while let Some(item) = reader.next() {
            assert!(!fatal, "{path:?}: an item after a fatal error");
            match item {
                Ok(row) => assert_eq!(row.cells.len(), COLUMNS.len(), "{path:?}"),
                Err(e) => fatal = e.fatal,
            }
            let _ = reader.progress();
        }
        assert!(reader.next().is_none(), "{path:?}: an item after the end");
    }
});
