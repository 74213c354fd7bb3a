//! [`Limits`]: how much one file may ask of a reader.
//!
//! A compressed `.xlsx` of 1 MB can unpack to gigabytes or declare 40 million shared strings, and
//! a text file can hold one line of a gigabyte: a limit on the size of the uploaded file bounds
//! none of that. Every reader checks these limits before it spends the memory, and refuses the
//! file with a fatal [`FileError`](crate::FileError) whose code names the limit
//! (`FILE_TOO_LARGE`, `XLSX_TOO_MANY_STRINGS`, `XLSX_TOO_COMPLEX`, `ROW_TOO_WIDE`,
//! `ROW_TOO_LONG`, `CELL_TOO_LONG`).

/// Bounds on one file, checked by every reader before it allocates.
///
/// The defaults ([`Limits::DEFAULT`]) admit what officials exchange — a workbook of a million
/// rows of the record import columns, as Excel or [`TableWriter`](crate::TableWriter) writes it
/// — and bound what any file costs: CSV, JSONL and inline-string workbooks a few MB whatever
/// their size; a shared-string table at most its entries (24 bytes each: 120 MB) and its text
/// (512 MB), which calamine holds while the sheet is read. A million record rows as Excel writes
/// them need about 0.3 GB of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `.xlsx`: bytes one part (zip entry) the reader opens may inflate to, counted while it
    /// inflates (the sizes the zip directory declares are not trusted).
    pub max_part_bytes: u64,
    /// `.xlsx`: bytes all the parts the reader opens may inflate to together.
    pub max_unpacked_bytes: u64,
    /// `.xlsx`: entries in the zip container.
    pub max_parts: usize,
    /// `.xlsx`: entries (`<si>`) in the shared-string table, and the count it declares.
    pub max_shared_strings: usize,
    /// `.xlsx`: bytes the shared-string table inflates to (calamine holds all its text while
    /// a sheet is read).
    pub max_shared_string_bytes: u64,
    /// `.xlsx`: entries of each kind the reader holds in memory besides shared strings: cell
    /// formats, fonts, fills, borders, number formats, sheets, defined names, relationships.
    pub max_workbook_items: usize,
    /// Cells in one row, and the columns a cell may be in (Excel's own limit is 16,384, `XFD`).
    pub max_columns: usize,
    /// Bytes of one cell: a CSV field, a worksheet cell, a shared string; in an `.xlsx` also any
    /// one XML tag, text or comment.
    pub max_cell_bytes: usize,
    /// Bytes of one row: a CSV record or a JSONL line as stored, the cell texts of a sheet row.
    pub max_row_bytes: usize,
}

impl Limits {
    /// The limits every entry point uses unless told otherwise.
    ///
    /// A million record rows (as `probity gen` writes them) saved by Excel unpack to about 0.4 GB
    /// of sheet and 0.2 GB of shared strings (two unique texts a row), by `TableWriter` (inline
    /// strings) to about 0.9 GB of sheet; Excel allows 32,767 characters in a cell (under 100 KB)
    /// and 64,000 cell formats.
    pub const DEFAULT: Limits = Limits {
        max_part_bytes: 2 << 30,
        max_unpacked_bytes: 4 << 30,
        max_parts: 10_000,
        max_shared_strings: 5_000_000,
        max_shared_string_bytes: 512 << 20,
        max_workbook_items: 100_000,
        max_columns: 16_384,
        max_cell_bytes: 1 << 20,
        max_row_bytes: 4 << 20,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::DEFAULT
    }
}

/// A byte count as people read it: `4 MiB`, `2 GiB`, `512 KiB`, `100 字节`.
pub(crate) fn size_text(bytes: u64) -> String {
    const KIB: u64 = 1 << 10;
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    match bytes {
        b if b >= GIB && b % GIB == 0 => format!("{} GiB", b / GIB),
        b if b >= GIB => format!("{:.1} GiB", b as f64 / GIB as f64),
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= MIB => format!("{:.1} MiB", b as f64 / MIB as f64),
        b if b >= KIB => format!("{} KiB", b / KIB),
        b => format!("{b} 字节"),
    }
}

/// A count with thousands separators: `5,000,000`.
pub(crate) fn count_text(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts() {
        assert_eq!(size_text(4 << 20), "4 MiB");
        assert_eq!(size_text(2 << 30), "2 GiB");
        assert_eq!(size_text(1536 << 20), "1.5 GiB");
        assert_eq!(size_text(2048), "2 KiB");
        assert_eq!(size_text(100), "100 字节");
        assert_eq!(count_text(5_000_000), "5,000,000");
        assert_eq!(count_text(16_384), "16,384");
        assert_eq!(count_text(999), "999");
    }
}
