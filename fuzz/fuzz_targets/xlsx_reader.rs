//! `TableReader` on arbitrary bytes saved as `.xlsx`, under the default limits (what the CLI and
//! the server use) and under tight ones (so that every limit is reached by small inputs): never
//! panics, nothing after a fatal error, every row aligned with the column specs and no cell
//! longer than the limit. Run it with a memory limit (`run_xlsx_reader.sh`: `-rss_limit_mb=512`):
//! an input that takes the process past it is a bomb the limits let through.
#![no_main]

use std::path::PathBuf;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use probity_ingest::{ColumnSpec, Limits, TableReader};

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

const TIGHT: Limits = Limits {
    max_part_bytes: 1 << 20,
    max_unpacked_bytes: 2 << 20,
    max_parts: 64,
    max_shared_strings: 256,
    max_shared_string_bytes: 64 << 10,
    max_workbook_items: 256,
    max_columns: 64,
    max_cell_bytes: 1024,
    max_row_bytes: 4096,
};

/// One file per process (several fuzzing jobs may run side by side); `TMPDIR=/dev/shm` keeps it
/// in memory.
static PATH: LazyLock<PathBuf> = LazyLock::new(|| {
    std::env::temp_dir().join(format!("probity-fuzz-xlsx-{}.xlsx", std::process::id()))
});

fuzz_target!(|data: &[u8]| {
    let path = &*PATH;
    std::fs::write(path, data).expect("write the fuzz input to the temp dir");
    for limits in [Limits::DEFAULT, TIGHT] {
        let Ok(mut reader) = TableReader::open_with_limits(path, COLUMNS, limits) else {
            continue;
        };
        let _ = (reader.headers_found(), reader.progress());
        let mut fatal = false;
        for item in reader.by_ref() {
            assert!(!fatal, "an item after a fatal error");
            match item {
                Ok(row) => {
                    assert_eq!(row.cells.len(), COLUMNS.len());
                    for cell in &row.cells {
                        assert!(cell.len() <= limits.max_cell_bytes, "a cell past the limit");
                    }
                }
                Err(e) => fatal = e.fatal,
            }
        }
        assert!(reader.next().is_none(), "an item after the end");
    }
    let _ = std::fs::remove_file(path);
});
