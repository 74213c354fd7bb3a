//! XLSX reading, TableWriter exports and templates read back.

mod common;

use common::{COLS, rows, write, xlsx_part};
use probity_ingest::{Format, TableReader, TableWriter, TemplateColumn, code, write_template};
use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, Workbook};

const HEADERS: &[(&str, &str)] = &[
    ("document_no", "决定文书号"),
    ("decision_date", "决定日期"),
    ("name", "姓名"),
    ("id_number", "身份证号"),
];

#[test]
fn table_writer_xlsx_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xlsx");
    let mut w = TableWriter::create(&path, Format::Xlsx, HEADERS).unwrap();
    w.write_row(&[
        "纪律〔2024〕1号",
        "2024-01-15",
        "张三",
        "110105199001011234",
    ])
    .unwrap();
    w.write_row(&["2", "2024-01-16", "", "11010519900101123X"])
        .unwrap();
    w.write_row(&["=1+1", "", "李四"]).unwrap();
    assert_eq!(w.finish().unwrap(), 3);

    let reader = TableReader::open(&path, COLS).unwrap();
    assert_eq!(reader.format(), Format::Xlsx);
    assert_eq!(
        reader.headers_found(),
        ["document_no", "decision_date", "name"]
    );
    let rows: Vec<_> = reader.map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].number, 2);
    assert_eq!(rows[0].cells, ["纪律〔2024〕1号", "2024-01-15", "张三", ""]);
    assert_eq!(rows[1].cells, ["2", "2024-01-16", "", ""]);
    assert_eq!((rows[2].number, rows[2].cells[0].as_str()), (4, "=1+1"));

    // The export is a real Excel sheet named 数据 with a frozen header.
    let sheet = xlsx_part(&path, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("state=\"frozen\""), "{sheet}");
    let workbook = xlsx_part(&path, "xl/workbook.xml");
    assert!(workbook.contains("name=\"数据\""));
}

#[test]
fn to_writer_rejects_xlsx() {
    let err = TableWriter::to_writer(Box::new(std::io::sink()), Format::Xlsx, HEADERS).unwrap_err();
    assert_eq!(err.code, code::FILE_FORMAT);
    assert_eq!(err.message, "Excel 格式需要指定输出文件");
}

fn template_columns() -> Vec<TemplateColumn> {
    let many: Vec<String> = (1..=60)
        .map(|i| format!("某某省某某市纪律检查委员会第{i}室"))
        .collect();
    vec![
        TemplateColumn {
            header: "决定文书号".into(),
            key: "document_no".into(),
            required: true,
            sample: "纪律〔2024〕1号".into(),
            note: "处分决定书上的文号".into(),
            ..Default::default()
        },
        TemplateColumn {
            header: "决定日期".into(),
            key: "decision_date".into(),
            required: true,
            sample: "2024-01-15".into(),
            text: true,
            ..Default::default()
        },
        TemplateColumn {
            header: "姓名".into(),
            key: "name".into(),
            sample: "张三".into(),
            allowed: vec!["张三".into(), "李四".into()],
            width: 12.0,
            ..Default::default()
        },
        TemplateColumn {
            header: "承办部门".into(),
            key: "department".into(),
            allowed: many,
            note: "从下拉列表选择".into(),
            ..Default::default()
        },
    ]
}

#[test]
fn template_sample_row_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("template.xlsx");
    let instructions = vec![
        "本模板用于导入处分决定。".to_string(),
        "日期格式：YYYY-MM-DD。".to_string(),
    ];
    write_template(
        &path,
        "处分决定导入模板",
        &template_columns(),
        &instructions,
    )
    .unwrap();

    let reader = TableReader::open(&path, COLS).unwrap();
    // Required headers carry a trailing "*", which matching ignores.
    assert_eq!(
        reader.headers_found(),
        ["document_no", "decision_date", "name"]
    );
    let rows: Vec<_> = reader.map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].number, 2);
    assert_eq!(rows[0].cells, ["纪律〔2024〕1号", "2024-01-15", "张三", ""]);
}

#[test]
fn template_structure() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("template.xlsx");
    write_template(
        &path,
        "处分决定导入模板",
        &template_columns(),
        &["说明一".to_string()],
    )
    .unwrap();

    let workbook = xlsx_part(&path, "xl/workbook.xml");
    let names: Vec<&str> = ["数据", "说明", "选项"]
        .into_iter()
        .filter(|n| workbook.contains(&format!("name=\"{n}\"")))
        .collect();
    assert_eq!(names, ["数据", "说明", "选项"]);
    assert!(workbook.contains("state=\"hidden\""), "{workbook}");

    let data = xlsx_part(&path, "xl/worksheets/sheet1.xml");
    assert!(data.contains("state=\"frozen\""));
    // Short list inline, long list by reference to the hidden sheet.
    assert!(
        data.contains("<formula1>\"张三,李四\"</formula1>"),
        "{data}"
    );
    assert!(
        data.contains("<formula1>'选项'!$A$1:$A$60</formula1>"),
        "{data}"
    );
    assert!(data.contains("sqref=\"C2:C10000\""), "{data}");
    assert!(data.contains("sqref=\"D2:D10000\""), "{data}");

    let styles = xlsx_part(&path, "xl/styles.xml");
    assert!(styles.contains("formatCode=\"@\""), "{styles}");

    // Header cells: required ones end with "*".
    let strings = xlsx_part(&path, "xl/sharedStrings.xml");
    assert!(strings.contains("决定文书号*"));
    assert!(strings.contains("决定日期*"));
    assert!(!strings.contains("姓名*"));
    assert!(strings.contains("说明一"));
    assert!(strings.contains("处分决定书上的文号"));

    // A note on the first header cell.
    let comments = xlsx_part(&path, "xl/comments1.xml");
    assert!(comments.contains("处分决定书上的文号"));
}

#[test]
fn truncated_and_garbage_xlsx_are_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.xlsx");
    let mut w = TableWriter::create(&good, Format::Xlsx, HEADERS).unwrap();
    for i in 0..200 {
        w.write_row(&[&format!("文书{i}"), "2024-01-01", "张三", ""])
            .unwrap();
    }
    w.finish().unwrap();
    let bytes = std::fs::read(&good).unwrap();

    let half = write(dir.path(), "half.xlsx", &bytes[..bytes.len() / 2]);
    let err = TableReader::open(&half, COLS).unwrap_err();
    assert_eq!(err.code, code::XLSX_CORRUPT);
    assert_eq!(err.message, "Excel 文件已损坏或不完整，无法读取");

    let garbage = write(dir.path(), "garbage.xlsx", b"this is not a zip file at all");
    assert_eq!(
        TableReader::open(&garbage, COLS).unwrap_err().code,
        code::XLSX_CORRUPT
    );

    // Renamed to .csv: the ZIP content still decides.
    let renamed = write(dir.path(), "renamed.csv", &bytes);
    let reader = TableReader::open(&renamed, COLS).unwrap();
    assert_eq!(reader.format(), Format::Xlsx);
    assert_eq!(reader.count(), 200);

    // Forced to CSV, an .xlsx is a clear FILE_FORMAT error.
    let err = TableReader::open_as(&good, Format::Csv, COLS).unwrap_err();
    assert_eq!(err.code, code::FILE_FORMAT);

    // A legacy .xls (OLE2) is rejected with a hint to save as .xlsx.
    let mut ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    ole.resize(4096, 0);
    let xls = write(dir.path(), "old.xlsx", &ole);
    let err = TableReader::open(&xls, COLS).unwrap_err();
    assert_eq!(err.code, code::FILE_FORMAT);
    assert!(err.message.contains(".xlsx"));
}

#[test]
fn cell_types_dates_and_blank_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typed.xlsx");
    let mut wb = Workbook::new();
    let date = XFormat::new().set_num_format("yyyy-mm-dd");
    let datetime = XFormat::new().set_num_format("yyyy/m/d hh:mm");
    let ws = wb.add_worksheet();
    // A title row, a blank row, then the header in row 3.
    ws.write_string(0, 0, "2024 年度处分决定汇总表").unwrap();
    ws.write_string(2, 0, "决定文书号").unwrap();
    ws.write_string(2, 1, "决定日期").unwrap();
    ws.write_string(2, 2, "姓名").unwrap();
    ws.write_string(2, 3, "金额(元)").unwrap();
    // Row 4: number document no, date cell, bool, float.
    ws.write_number(3, 0, 45296.0).unwrap();
    let d = ExcelDateTime::from_ymd(2024, 3, 5).unwrap();
    ws.write_datetime_with_format(3, 1, &d, &date).unwrap();
    ws.write_boolean(3, 2, true).unwrap();
    ws.write_number(3, 3, 0.1 + 0.2).unwrap();
    // Rows 5 and 6 blank (row 6 only has an empty string cell with a format).
    ws.write_string_with_format(5, 0, "", &date).unwrap();
    // Row 7: a date-time cell (date part only) and a formula error-free value.
    ws.write_string(6, 0, "  文书-7  ").unwrap();
    let dt = ExcelDateTime::from_ymd(2023, 12, 31)
        .unwrap()
        .and_hms(23, 59, 0)
        .unwrap();
    ws.write_datetime_with_format(6, 1, &dt, &datetime).unwrap();
    ws.write_number(6, 3, -12.5).unwrap();
    // Row 8: a Chinese custom date format.
    let zh_date = XFormat::new().set_num_format("yyyy\"年\"m\"月\"d\"日\"");
    ws.write_string(7, 0, "文书-8").unwrap();
    let d = ExcelDateTime::from_ymd(2024, 12, 1).unwrap();
    ws.write_datetime_with_format(7, 1, &d, &zh_date).unwrap();
    wb.save(&path).unwrap();

    let rows = rows(&path);
    let got: Vec<(usize, Vec<String>)> = rows.into_iter().map(|r| (r.number, r.cells)).collect();
    let s = |v: [&str; 4]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        got,
        [
            (4, s(["45296", "2024-03-05", "true", "0.3"])),
            (7, s(["文书-7", "2023-12-31", "", "-12.5"])),
            (8, s(["文书-8", "2024-12-01", "", ""])),
        ]
    );
}

#[test]
fn xlsx_progress_counts_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.xlsx");
    let mut w = TableWriter::create(&path, Format::Xlsx, HEADERS).unwrap();
    for i in 0..10 {
        w.write_row(&[&i.to_string(), "d"]).unwrap();
    }
    w.finish().unwrap();
    let mut reader = TableReader::open(&path, COLS).unwrap();
    let (_, total) = reader.progress();
    assert_eq!(total, 11);
    while reader.next().is_some() {}
    assert_eq!(reader.progress(), (11, 11));
}

#[test]
fn dropping_a_reader_early_stops_the_helper_thread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.xlsx");
    let mut w = TableWriter::create(&path, Format::Xlsx, HEADERS).unwrap();
    for i in 0..2000 {
        w.write_row(&[&i.to_string(), "d"]).unwrap();
    }
    w.finish().unwrap();
    for _ in 0..20 {
        let mut reader = TableReader::open(&path, COLS).unwrap();
        assert!(reader.next().is_some());
        drop(reader);
    }
}

/// Cell references past Excel's limits (`AAAAAAAA2`, a dimension of `A1:AAAAAAAA2`) overflow
/// calamine's arithmetic (tafia/calamine#694, found by `fuzz/table_reader`). The workspace turns
/// overflow checks on for calamine in release builds too, so such a file is refused as corrupt
/// rather than read with cells silently misplaced or dropped.
#[test]
fn cell_references_past_excel_limits_are_refused() {
    use probity_ingest::ColumnSpec;
    const FUZZ_COLUMNS: &[ColumnSpec] = &[
        ColumnSpec {
            key: "name",
            header: "名称",
            required: true,
            aliases: &["主体名称"],
        },
        ColumnSpec::new("uscc", "统一社会信用代码", false),
        ColumnSpec::new("decided_on", "决定日期", false),
    ];
    for name in ["col-overflow.xlsx", "dim-overflow.xlsx"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let code = match TableReader::open(&path, FUZZ_COLUMNS) {
            Err(e) => Some(e.code),
            Ok(reader) => reader
                .filter_map(Result::err)
                .find(|e| e.fatal)
                .map(|e| e.code),
        };
        assert_eq!(code, Some(code::XLSX_CORRUPT), "{name}");
    }
}
