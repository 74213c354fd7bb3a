//! Peak memory of reading hostile and large workbooks, measured in a child process: the test
//! binary runs itself again (test `child` only) under `setrlimit(RLIMIT_AS)` of 1 GiB, reads one
//! file with `TableReader::open` (the default limits, as the CLI and the server use them) and
//! reports the outcome and its peak resident memory (VmHWM). A reader that allocates past the
//! address-space limit dies (an allocation failure aborts), and the test fails.
//!
//! `PROBITY_INGEST_MEMORY_AS_MIB=0 cargo test -p probity-ingest --test memory -- --nocapture`
//! lifts the limit to measure a reader without it; every case prints its peak.

mod common;

use std::path::Path;
use std::process::Command;

use common::craft::{RECORD_HEADERS, record_row, shared_strings_bomb, workbook};
use common::{COLS, write};
use probity_ingest::{Limits, TableReader, code};

/// The file the child reads.
const FILE_ENV: &str = "PROBITY_INGEST_MEMORY_FILE";
/// The child's address-space limit in MiB; `0` for none.
const LIMIT_ENV: &str = "PROBITY_INGEST_MEMORY_AS_MIB";
const DEFAULT_LIMIT_MIB: u64 = 1024;
/// What any of these files may cost, reader and test harness together.
const PEAK_BOUND_MIB: u64 = 300;

/// Peak resident set size of this process in KiB (Linux).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The child: does nothing unless the parent named a file.
#[test]
fn child() {
    let Some(path) = std::env::var_os(FILE_ENV) else {
        return;
    };
    let limit_mib = std::env::var(LIMIT_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(DEFAULT_LIMIT_MIB);
    if limit_mib > 0 {
        let bytes = limit_mib << 20;
        let limit = libc::rlimit {
            rlim_cur: bytes,
            rlim_max: bytes,
        };
        // SAFETY: setrlimit reads the struct it is given and changes only this process's limits.
        let rc = unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
        assert_eq!(rc, 0, "setrlimit");
    }
    let outcome = match TableReader::open(Path::new(&path), COLS) {
        Err(e) => e.code.to_string(),
        Ok(reader) => {
            let (mut rows, mut fatal) = (0usize, None);
            for item in reader {
                match item {
                    Ok(_) => rows += 1,
                    Err(e) if e.fatal => fatal = Some(e.code),
                    Err(_) => {}
                }
            }
            fatal.map_or_else(|| format!("rows={rows}"), str::to_string)
        }
    };
    println!("MEMORY-RESULT {outcome} {}", peak_rss_kib());
}

/// Reads `bytes` (saved as an `.xlsx`) in a child process: the outcome (an error code or
/// `rows=N`) and the peak resident memory in MiB.
fn read_in_child(case: &str, bytes: &[u8]) -> (String, u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "file.xlsx", bytes);
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(FILE_ENV, &path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // libtest prints the test's name on the same line, before the report.
    let Some(line) = stdout.split("MEMORY-RESULT ").nth(1) else {
        panic!(
            "{case}: the reading process died ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let mut parts = line.split_whitespace();
    let outcome = parts.next().unwrap().to_string();
    let peak_mib = parts.next().unwrap().parse::<u64>().unwrap() / 1024;
    eprintln!(
        "memory: {case}: {} KiB file -> {outcome}, peak {peak_mib} MiB",
        bytes.len() / 1024
    );
    (outcome, peak_mib)
}

/// The finding: 40 million empty shared strings in a small file took a reader past 1.3 GB.
#[test]
fn forty_million_empty_shared_strings_are_refused_in_bounded_memory() {
    let bomb = shared_strings_bomb(40_000_000);
    assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
    let (outcome, peak) = read_in_child("40M empty shared strings", &bomb);
    assert_eq!(outcome, code::XLSX_TOO_MANY_STRINGS);
    assert!(peak < PEAK_BOUND_MIB, "peak {peak} MiB");
}

/// The smaller file of the finding (335 KB, 354 MB): fourteen million entries.
#[test]
fn fourteen_million_empty_shared_strings_are_refused_in_bounded_memory() {
    let bomb = shared_strings_bomb(14_000_000);
    assert!(bomb.len() < 400 << 10, "{} bytes", bomb.len());
    let (outcome, peak) = read_in_child("14M empty shared strings", &bomb);
    assert_eq!(outcome, code::XLSX_TOO_MANY_STRINGS);
    assert!(peak < PEAK_BOUND_MIB, "peak {peak} MiB");
}

/// The largest table the default limits let through is read, within the same bound.
#[test]
fn the_largest_accepted_string_table_is_read_in_bounded_memory() {
    let bomb = shared_strings_bomb(Limits::default().max_shared_strings - 16);
    let (outcome, peak) = read_in_child("shared strings just under the limit", &bomb);
    assert_eq!(outcome, "rows=1");
    assert!(peak < PEAK_BOUND_MIB, "peak {peak} MiB");
}

/// A legitimate 100,000-row workbook of the record import columns still reads, in bounded memory.
#[test]
fn a_hundred_thousand_record_rows_are_read() {
    let mut rows = vec![RECORD_HEADERS.iter().map(|h| h.to_string()).collect()];
    rows.extend((0..100_000).map(record_row));
    let file = workbook(&rows);
    let (outcome, peak) = read_in_child("100k record rows", &file);
    assert_eq!(outcome, "rows=100000");
    assert!(peak < PEAK_BOUND_MIB, "peak {peak} MiB");
}
