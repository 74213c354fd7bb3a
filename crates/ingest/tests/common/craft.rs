//! Hostile and large `.xlsx` files built in the test: a workbook written by rust_xlsxwriter (with
//! a shared-string table, as Excel writes it), then rewritten part by part with the `zip` crate.

use std::io::{Cursor, Read, Write};

use rust_xlsxwriter::Workbook;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// The headers of the record import (DESIGN.md section 5), as in `probity gen` output.
pub const RECORD_HEADERS: [&str; 13] = [
    "主体名称",
    "统一社会信用代码",
    "身份证号",
    "记录类别",
    "决定文书号",
    "决定日期",
    "决定机关",
    "失信事实",
    "处理依据",
    "处理结果",
    "严重程度",
    "公开范围",
    "公示截止日期",
];

/// A workbook with one sheet holding `rows` as strings (shared strings, as Excel writes them).
pub fn workbook(rows: &[Vec<String>]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, text.as_str()).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

/// The small workbook the bombs start from: the test header and one data row.
pub fn small_workbook() -> Vec<u8> {
    let row = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    workbook(&[
        row(&["决定文书号", "决定日期", "姓名"]),
        row(&["纪律〔2024〕1号", "2024-01-01", "张三"]),
    ])
}

/// One record-like row (the 13 import columns), about the size `probity gen` writes: unique
/// document numbers and facts, texts drawn from a few cases.
pub fn record_row(i: usize) -> Vec<String> {
    let unit = format!(
        "天津某{}工程有限公司",
        ["路桥", "市政", "园林绿化", "建筑安装"][i % 4]
    );
    vec![
        unit,
        format!("91120116MA{:08}", i % 20_000),
        String::new(),
        "ADMIN_PENALTY".to_string(),
        format!("津滨财罚〔2024〕{i:06}号"),
        format!("2024-{:02}-{:02}", i % 12 + 1, i % 28 + 1),
        "天津市滨海新区财政局".to_string(),
        format!(
            "在海滨大道绿化养护项目中未按合同约定履行付款义务，拖欠工程款{}万元，经催告后仍未支付（线索编号 {i:08}）",
            i % 500 + 1
        ),
        "《中华人民共和国政府采购法》第七十七条；《天津市公共信用信息管理办法》第二十条"
            .to_string(),
        "处以罚款，并纳入失信记录".to_string(),
        "一般".to_string(),
        String::new(),
        String::new(),
    ]
}

/// Copies an `.xlsx`, letting `replace` write the content of any part itself (it returns `true`
/// when it did; it gets the original content).
pub fn rewrite(
    src: &[u8],
    mut replace: impl FnMut(&str, &[u8], &mut dyn Write) -> bool,
) -> Vec<u8> {
    let mut zip = ZipArchive::new(Cursor::new(src)).unwrap();
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut original = Vec::new();
        entry.read_to_end(&mut original).unwrap();
        out.start_file(name.as_str(), options).unwrap();
        if !replace(&name, &original, &mut out) {
            out.write_all(&original).unwrap();
        }
    }
    out.finish().unwrap().into_inner()
}

/// Writes `piece` `times` times, in large chunks.
pub fn repeat(out: &mut dyn Write, piece: &[u8], times: usize) {
    let per_chunk = (1 << 20) / piece.len().max(1);
    let chunk = piece.repeat(per_chunk.max(1));
    let mut left = times;
    while left > 0 {
        let n = left.min(per_chunk.max(1));
        out.write_all(&chunk[..n * piece.len()]).unwrap();
        left -= n;
    }
}

/// Copies `original` to `out`, writing `insert` just before the first occurrence of `marker`.
pub fn insert_before(
    original: &[u8],
    marker: &[u8],
    out: &mut dyn Write,
    insert: impl FnOnce(&mut dyn Write),
) {
    let at = original
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("marker in the part");
    out.write_all(&original[..at]).unwrap();
    insert(out);
    out.write_all(&original[at..]).unwrap();
}

/// The small workbook with `extra` empty entries (`<si/>`) appended to its shared-string table.
pub fn shared_strings_bomb(extra: usize) -> Vec<u8> {
    rewrite(&small_workbook(), |name, original, out| {
        if name != "xl/sharedStrings.xml" {
            return false;
        }
        insert_before(original, b"</sst>", out, |out| repeat(out, b"<si/>", extra));
        true
    })
}

/// The small workbook whose second row is followed by a row of `cells` cells.
pub fn wide_row_workbook(cells: usize) -> Vec<u8> {
    rewrite(&small_workbook(), |name, original, out| {
        if name != "xl/worksheets/sheet1.xml" {
            return false;
        }
        insert_before(original, b"</sheetData>", out, |out| {
            out.write_all(b"<row r=\"3\">").unwrap();
            repeat(out, b"<c t=\"s\"><v>0</v></c>", cells);
            out.write_all(b"</row>").unwrap();
        });
        true
    })
}

/// The small workbook with `bytes` of spaces inside its sheet (a valid, empty text node), so the
/// sheet inflates to at least that size.
pub fn padded_sheet_workbook(bytes: usize) -> Vec<u8> {
    rewrite(&small_workbook(), |name, original, out| {
        if name != "xl/worksheets/sheet1.xml" {
            return false;
        }
        insert_before(original, b"</sheetData>", out, |out| {
            // Short runs between tags, so that only the size of the part is out of bounds.
            repeat(
                out,
                b"<row/>                                                ",
                bytes / 56,
            );
        });
        true
    })
}

/// Sets the uncompressed size the zip headers (local and central) declare for `part` to `size`.
pub fn declare_size(zip: &mut [u8], part: &str, size: u32) {
    let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]) as usize;
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let eocd = zip
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .expect("end of central directory");
    let mut at = u32_at(zip, eocd + 16) as usize;
    let entries = u16_at(zip, eocd + 10);
    for _ in 0..entries {
        assert_eq!(&zip[at..at + 4], b"PK\x01\x02");
        let name_len = u16_at(zip, at + 28);
        let extra_len = u16_at(zip, at + 30);
        let comment_len = u16_at(zip, at + 32);
        let local = u32_at(zip, at + 42) as usize;
        let name = &zip[at + 46..at + 46 + name_len];
        if name == part.as_bytes() {
            zip[at + 24..at + 28].copy_from_slice(&size.to_le_bytes());
            zip[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
            return;
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    panic!("{part} not in the zip");
}
