//! Files past the [`Limits`] are refused with a fatal error naming the limit, in Chinese, before
//! the memory is spent: `.xlsx` bombs (shared strings, a lying zip directory, huge parts, wide and
//! long rows, deep or bloated XML) and CSV/JSONL with a giant line or cell.

mod common;

use std::io::Write;
use std::path::Path;

use common::craft::{
    declare_size, insert_before, padded_sheet_workbook, repeat, rewrite, shared_strings_bomb,
    small_workbook, wide_row_workbook,
};
use common::{COLS, write};
use probity_ingest::{FileError, Format, Limits, TableReader, code};
use zip::ZipArchive;

/// The first fatal error of reading `bytes` saved as `name` (from `open` or while iterating),
/// with the rows read before it.
fn refusal(name: &str, bytes: &[u8], limits: Limits) -> (FileError, usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), name, bytes);
    first_fatal(&path, limits)
}

fn first_fatal(path: &Path, limits: Limits) -> (FileError, usize) {
    let reader = match TableReader::open_with_limits(path, COLS, limits) {
        Ok(reader) => reader,
        Err(e) => return (e, 0),
    };
    let mut rows = 0;
    for item in reader {
        match item {
            Ok(_) => rows += 1,
            Err(e) if e.fatal => return (e, rows),
            Err(_) => {}
        }
    }
    panic!("{path:?}: read {rows} rows without a fatal error");
}

/// The refusal is fatal, has the code, and tells the official in Chinese what to do.
fn assert_refused(e: &FileError, code: &str, says: &[&str]) {
    assert!(e.fatal, "{e:?}");
    assert_eq!(e.code, code, "{e:?}");
    for s in says {
        assert!(e.message.contains(s), "{:?} lacks {s:?}", e.message);
    }
}

/// Rewrites the small workbook's shared strings with `content` written before `</sst>`.
fn with_shared_strings(content: impl Fn(&mut dyn Write)) -> Vec<u8> {
    rewrite(&small_workbook(), |name, original, out| {
        if name != "xl/sharedStrings.xml" {
            return false;
        }
        insert_before(original, b"</sst>", out, &content);
        true
    })
}

/// Rewrites the small workbook's sheet with `content` as row 3.
fn with_row_3(content: impl Fn(&mut dyn Write)) -> Vec<u8> {
    rewrite(&small_workbook(), |name, original, out| {
        if name != "xl/worksheets/sheet1.xml" {
            return false;
        }
        insert_before(original, b"</sheetData>", out, |out| {
            out.write_all(b"<row r=\"3\">").unwrap();
            content(out);
            out.write_all(b"</row>").unwrap();
        });
        true
    })
}

#[test]
fn the_small_workbook_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "ok.xlsx", &small_workbook());
    let rows: Vec<_> = TableReader::open(&path, COLS).unwrap().collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].as_ref().unwrap().cells[0], "纪律〔2024〕1号");
}

#[test]
fn too_many_shared_strings() {
    let limits = Limits {
        max_shared_strings: 1000,
        ..Limits::DEFAULT
    };
    let (e, rows) = refusal("s.xlsx", &shared_strings_bomb(1000), limits);
    assert_refused(
        &e,
        code::XLSX_TOO_MANY_STRINGS,
        &["1,000", "请拆分文件后分批上传"],
    );
    assert_eq!(rows, 0);
    // The workbook's own strings and 990 more are within the limit.
    let dir = tempfile::tempdir().unwrap();
    let ok = write(dir.path(), "ok.xlsx", &shared_strings_bomb(990));
    assert_eq!(
        TableReader::open_with_limits(&ok, COLS, limits)
            .unwrap()
            .count(),
        1
    );

    // Few strings, much text.
    let limits = Limits {
        max_shared_string_bytes: 1 << 20,
        ..Limits::DEFAULT
    };
    let long = with_shared_strings(|out| {
        for _ in 0..4 {
            out.write_all(b"<si><t>").unwrap();
            repeat(out, b"x", 300 << 10);
            out.write_all(b"</t></si>").unwrap();
        }
    });
    let (e, rows) = refusal("text.xlsx", &long, limits);
    assert_refused(&e, code::XLSX_TOO_MANY_STRINGS, &["合计超过 1 MiB"]);
    assert_eq!(rows, 0);
}

/// calamine reserves room for the count the table declares: four billion would abort the process.
#[test]
fn a_declared_string_count_past_the_limit() {
    let bomb = rewrite(&small_workbook(), |name, original, out| {
        if name != "xl/sharedStrings.xml" {
            return false;
        }
        let text = String::from_utf8(original.to_vec()).unwrap();
        let at = text.find("uniqueCount=\"").unwrap() + "uniqueCount=\"".len();
        let end = at + text[at..].find('"').unwrap();
        let lying = format!("{}4000000000{}", &text[..at], &text[end..]);
        out.write_all(lying.as_bytes()).unwrap();
        true
    });
    let (e, _) = refusal("count.xlsx", &bomb, Limits::DEFAULT);
    assert_refused(&e, code::XLSX_TOO_MANY_STRINGS, &["5,000,000"]);
}

#[test]
fn a_part_inflating_past_the_limit() {
    let limits = Limits {
        max_part_bytes: 1 << 20,
        ..Limits::DEFAULT
    };
    let (e, _) = refusal("big.xlsx", &padded_sheet_workbook(3 << 20), limits);
    assert_refused(&e, code::FILE_TOO_LARGE, &["1 MiB", "请拆分文件后分批上传"]);
    let (e, _) = refusal(
        "big.xlsx",
        &padded_sheet_workbook(3 << 20),
        Limits {
            max_unpacked_bytes: 2 << 20,
            ..Limits::DEFAULT
        },
    );
    assert_refused(&e, code::FILE_TOO_LARGE, &["合计超过 2 MiB"]);
}

/// The sizes in the zip directory are not what is checked: the bytes are counted as they inflate.
/// A part inflating past the size it declares is refused (the zip reader stops at the declared
/// size and calls the file corrupt); a part declaring more than the limit but inflating to less
/// is read.
#[test]
fn a_part_whose_declared_size_lies() {
    let limits = Limits {
        max_part_bytes: 1 << 20,
        ..Limits::DEFAULT
    };
    let dir = tempfile::tempdir().unwrap();
    let declared = |path: &Path| {
        let mut zip = ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        zip.by_name("xl/worksheets/sheet1.xml").unwrap().size()
    };

    let mut small = padded_sheet_workbook(3 << 20);
    declare_size(&mut small, "xl/worksheets/sheet1.xml", 1000);
    let path = write(dir.path(), "small.xlsx", &small);
    assert_eq!(declared(&path), 1000);
    for limits in [limits, Limits::DEFAULT] {
        let (e, rows) = first_fatal(&path, limits);
        assert_refused(&e, code::XLSX_CORRUPT, &["损坏"]);
        assert_eq!(rows, 0);
    }

    let mut large = padded_sheet_workbook(64 << 10);
    declare_size(&mut large, "xl/worksheets/sheet1.xml", u32::MAX - 1);
    let path = write(dir.path(), "large.xlsx", &large);
    assert_eq!(declared(&path), u64::from(u32::MAX - 1));
    let rows: Vec<_> = TableReader::open_with_limits(&path, COLS, limits)
        .unwrap()
        .collect();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].is_ok(), "{rows:?}");
}

#[test]
fn a_row_with_too_many_cells() {
    let (e, rows) = refusal("wide.xlsx", &wide_row_workbook(20_000), Limits::DEFAULT);
    assert_refused(&e, code::ROW_TOO_WIDE, &["第 3 行", "16,384 列"]);
    // The row before it was read.
    assert_eq!(rows, 1);
    // A cell past column XFD.
    let far = with_row_3(|out| {
        out.write_all(b"<c r=\"XFE3\" t=\"s\"><v>0</v></c>")
            .unwrap()
    });
    let (e, _) = refusal("far.xlsx", &far, Limits::DEFAULT);
    assert_refused(&e, code::ROW_TOO_WIDE, &["第 3 行"]);
}

/// A few cells all showing the same long shared string make a row of many megabytes from a file
/// of a few kilobytes.
#[test]
fn a_row_too_long() {
    let long = with_shared_strings(|out| {
        out.write_all(b"<si><t>").unwrap();
        repeat(out, "长".as_bytes(), 100_000);
        out.write_all(b"</t></si>").unwrap();
    });
    // The workbook has six strings of its own (indices 0–5): the long one is number 6.
    let bomb = rewrite(&long, |name, original, out| {
        if name != "xl/worksheets/sheet1.xml" {
            return false;
        }
        insert_before(original, b"</sheetData>", out, |out| {
            out.write_all(b"<row r=\"3\">").unwrap();
            repeat(out, b"<c t=\"s\"><v>6</v></c>", 100);
            out.write_all(b"</row>").unwrap();
        });
        true
    });
    assert!(bomb.len() < 64 << 10);
    let (e, rows) = refusal("long.xlsx", &bomb, Limits::DEFAULT);
    assert_refused(&e, code::ROW_TOO_LONG, &["第 3 行", "4 MiB"]);
    assert_eq!(rows, 1);
}

#[test]
fn a_cell_too_long() {
    // In the shared strings, as one text or as many short runs.
    for content in [
        &(|out: &mut dyn Write| {
            out.write_all(b"<si><t>").unwrap();
            repeat(out, b"x", 2 << 20);
            out.write_all(b"</t></si>").unwrap();
        }) as &dyn Fn(&mut dyn Write),
        &|out: &mut dyn Write| {
            out.write_all(b"<si>").unwrap();
            repeat(out, b"<r><t>xxxxxxxxxxxxxxxx</t></r>", 100_000);
            out.write_all(b"</si>").unwrap();
        },
    ] {
        let (e, rows) = refusal("cell.xlsx", &with_shared_strings(content), Limits::DEFAULT);
        assert_refused(&e, code::CELL_TOO_LONG, &["1 MiB"]);
        assert_eq!(rows, 0);
    }
    // An inline string in the sheet.
    let inline = with_row_3(|out| {
        out.write_all(b"<c r=\"A3\" t=\"inlineStr\"><is><t>")
            .unwrap();
        repeat(out, b"y", 2 << 20);
        out.write_all(b"</t></is></c>").unwrap();
    });
    let (e, _) = refusal("inline.xlsx", &inline, Limits::DEFAULT);
    assert_refused(&e, code::CELL_TOO_LONG, &["1 MiB"]);
}

#[test]
fn bloated_workbook_structure() {
    // Too many parts in the container.
    let many = rewrite(&small_workbook(), |name, original, out| {
        out.write_all(original).unwrap();
        name == "[Content_Types].xml"
    });
    let many = {
        let mut zip = zip::ZipWriter::new_append(std::io::Cursor::new(many)).unwrap();
        for i in 0..=Limits::DEFAULT.max_parts {
            zip.start_file(
                format!("customXml/item{i}.xml"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
        }
        zip.finish().unwrap().into_inner()
    };
    let (e, _) = refusal("many.xlsx", &many, Limits::DEFAULT);
    assert_refused(&e, code::XLSX_TOO_COMPLEX, &["10,000"]);

    // Too many cell formats (calamine keeps a 150-byte style for each).
    let styles = rewrite(&small_workbook(), |name, original, out| {
        if name != "xl/styles.xml" {
            return false;
        }
        insert_before(original, b"</cellXfs>", out, |out| {
            repeat(out, b"<xf/>", 200_000)
        });
        true
    });
    let (e, _) = refusal("styles.xlsx", &styles, Limits::DEFAULT);
    assert_refused(&e, code::XLSX_TOO_COMPLEX, &["单元格格式", "100,000"]);

    // Elements nested past any workbook's need (quick-xml keeps every open name).
    let deep = with_row_3(|out| repeat(out, b"<x>", 100_000));
    let (e, _) = refusal("deep.xlsx", &deep, Limits::DEFAULT);
    assert_refused(&e, code::XLSX_TOO_COMPLEX, &[]);
}

#[test]
fn a_csv_with_a_giant_line_or_cell() {
    let header = "决定文书号,决定日期\n1,2024-01-01\n";
    let cases: [(&str, String, &str); 4] = [
        // One cell of 2 MiB.
        ("cell.csv", "x".repeat(2 << 20), code::CELL_TOO_LONG),
        // The same, quoted.
        (
            "quoted.csv",
            format!("\"{}\"", "x".repeat(2 << 20)),
            code::CELL_TOO_LONG,
        ),
        // Many cells of 300 bytes: a line of 6 MiB.
        (
            "line.csv",
            format!("{},", "y".repeat(300)).repeat(20_000),
            code::ROW_TOO_LONG,
        ),
        // 20,000 empty cells.
        ("wide.csv", ",".repeat(20_000), code::ROW_TOO_WIDE),
    ];
    for (name, line, code) in cases {
        let bytes = format!("{header}{line}\n3,2024-01-01\n");
        let (e, rows) = refusal(name, bytes.as_bytes(), Limits::DEFAULT);
        assert_refused(&e, code, &["第 3 行"]);
        assert_eq!(e.row, Some(3), "{name}");
        assert_eq!(rows, 1, "{name}");
    }
    // A giant first line is refused by `open`.
    let (e, rows) = refusal("first.csv", "x".repeat(5 << 20).as_bytes(), Limits::DEFAULT);
    assert_refused(&e, code::CELL_TOO_LONG, &["第 1 行第 1 列", "1 MiB"]);
    assert_eq!(rows, 0);
}

#[test]
fn a_jsonl_with_a_giant_or_crowded_line() {
    let first = "{\"document_no\":\"1\",\"decision_date\":\"2024-01-01\"}\n";
    let giant = format!("{first}{{\"document_no\":\"{}\"}}\n", "x".repeat(5 << 20));
    let (e, rows) = refusal("giant.jsonl", giant.as_bytes(), Limits::DEFAULT);
    assert_refused(&e, code::ROW_TOO_LONG, &["第 2 行", "4 MiB"]);
    assert_eq!(rows, 1);
    let crowded = format!("{first}{{\"document_no\":[{}0]}}\n", "0,".repeat(20_000));
    let (e, rows) = refusal("crowded.jsonl", crowded.as_bytes(), Limits::DEFAULT);
    assert_refused(&e, code::ROW_TOO_WIDE, &["第 2 行"]);
    assert_eq!(rows, 1);
}

/// The limits are data: a caller may tighten them, and `open_as` applies them too.
#[test]
fn limits_are_applied_by_every_entry_point() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "t.txt",
        "决定文书号,决定日期\n12345678901234567,2024-01-01\n".as_bytes(),
    );
    let tight = Limits {
        max_cell_bytes: 16,
        ..Limits::DEFAULT
    };
    for reader in [
        TableReader::open_with_limits(&path, COLS, tight),
        TableReader::open_as_with_limits(&path, Format::Csv, COLS, tight),
    ] {
        let err = reader.unwrap().find_map(Result::err).unwrap();
        assert_eq!(err.code, code::CELL_TOO_LONG);
    }
    assert_eq!(TableReader::open(&path, COLS).unwrap().count(), 1);
    assert_eq!(Limits::default(), Limits::DEFAULT);
}
