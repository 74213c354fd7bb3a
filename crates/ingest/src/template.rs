//! `.xlsx` import templates.

use std::path::Path;

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DocProperties, Format as XlsxFormat,
    FormatAlign, FormatBorder, Formula, Note, Workbook, Worksheet, XlsxError,
};

use crate::FileError;
use crate::writer::{DATA_SHEET, display_width};

/// Last template row (1-based) that gets drop-down validation.
const VALIDATION_LAST_ROW: u32 = 10_000;
/// Excel's limit for an inline validation list, commas included.
const INLINE_LIST_LIMIT: usize = 255;
const HELP_SHEET: &str = "说明";
const OPTIONS_SHEET: &str = "选项";

/// One column of an import template.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateColumn {
    /// Chinese header (without the `*` mark; it is added for required columns).
    pub header: String,
    /// English key (shown in the 说明 sheet; accepted as a header alias on import).
    pub key: String,
    /// Required columns get a trailing `*` and a different fill.
    pub required: bool,
    /// Value of the sample row (row 2); empty for none.
    pub sample: String,
    /// Drop-down list values; empty = free text.
    pub allowed: Vec<String>,
    /// Format the column as text (`@`) so Excel keeps 18-digit codes intact.
    pub text: bool,
    /// Column width in Excel units; `0` (or less) = automatic.
    pub width: f64,
    /// Shown as a note on the header cell and in the 说明 sheet.
    pub note: String,
}

fn err(e: XlsxError) -> FileError {
    match e {
        XlsxError::IoError(io) => FileError::unwritable_io(&io),
        other => FileError::unwritable(other),
    }
}

/// Column letters for a 0-based index (0 → A, 26 → AA).
fn column_letters(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Truncates to at most `max` characters.
fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Writes an import template.
///
/// Sheet “数据”: bold header row (required headers marked with a trailing `*`
/// and an orange fill, optional ones blue), one grey italic sample row, list
/// validation drop-downs for columns with `allowed` values on rows
/// 2..=10000 (lists that do not fit Excel's 255-character inline limit, or
/// whose values contain commas, go to the hidden sheet “选项” and are
/// referenced by range), text format for `text` columns, notes on header cells,
/// frozen header row. Sheet “说明”: the title, the `instructions` lines, then a
/// table of every column (header, key, required, allowed values, note).
pub fn write_template(
    path: &Path,
    title: &str,
    columns: &[TemplateColumn],
    instructions: &[String],
) -> Result<(), FileError> {
    if columns.len() > 16_384 {
        return Err(FileError::unwritable("列数超过 Excel 上限 16384 列"));
    }
    let mut wb = Workbook::new();
    wb.set_properties(&DocProperties::new().set_title(title));

    let header_base = XlsxFormat::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let header_required = header_base
        .clone()
        .set_background_color(Color::RGB(0xF8CBAD))
        .set_font_color(Color::RGB(0x9C0006));
    let header_optional = header_base.set_background_color(Color::RGB(0xDDEBF7));
    let text = XlsxFormat::new().set_num_format("@");
    let sample = XlsxFormat::new()
        .set_italic()
        .set_font_color(Color::RGB(0x808080));
    let sample_text = sample.clone().set_num_format("@");

    // Option lists that go to the hidden sheet: (column in 选项, values).
    let mut option_lists: Vec<Vec<String>> = Vec::new();

    let ws = wb.add_worksheet();
    ws.set_name(DATA_SHEET).map_err(err)?;
    for (i, col) in columns.iter().enumerate() {
        let c = i as u16;
        let base = col.header.trim().trim_end_matches(['*', '＊']).trim_end();
        let (label, fmt) = if col.required {
            (format!("{base}*"), &header_required)
        } else {
            (base.to_string(), &header_optional)
        };
        let width = if col.width > 0.0 {
            col.width.min(255.0)
        } else {
            let w = display_width(&label).max(display_width(&col.sample)) + 4;
            w.clamp(10, 50) as f64
        };
        ws.set_column_width(c, width).map_err(err)?;
        if col.text {
            ws.set_column_format(c, &text).map_err(err)?;
        }
        ws.write_string_with_format(0, c, &label, fmt)
            .map_err(err)?;
        if !col.note.trim().is_empty() {
            let note = Note::new(clip(col.note.trim(), 2000))
                .add_author_prefix(false)
                .set_width(300)
                .set_height(120);
            ws.insert_note(0, c, &note).map_err(err)?;
        }
        if !col.sample.is_empty() {
            let fmt = if col.text { &sample_text } else { &sample };
            ws.write_string_with_format(1, c, clip(&col.sample, 32_767), fmt)
                .map_err(err)?;
        }
        let allowed: Vec<&str> = col
            .allowed
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if !allowed.is_empty() {
            validate_list(ws, c, base, &allowed, &mut option_lists)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;

    write_help(&mut wb, title, columns, instructions)?;

    if !option_lists.is_empty() {
        let ws = wb.add_worksheet();
        ws.set_name(OPTIONS_SHEET).map_err(err)?;
        for (i, values) in option_lists.iter().enumerate() {
            for (r, v) in values.iter().enumerate() {
                ws.write_string(r as u32, i as u16, clip(v, 32_767))
                    .map_err(err)?;
            }
        }
        ws.set_hidden(true);
    }

    wb.save(path).map_err(err)
}

/// Adds the drop-down validation for column `c` of the data sheet.
fn validate_list(
    ws: &mut Worksheet,
    c: u16,
    header: &str,
    allowed: &[&str],
    option_lists: &mut Vec<Vec<String>>,
) -> Result<(), FileError> {
    let inline_len: usize = allowed
        .iter()
        .map(|s| s.replace('"', "\"\"").encode_utf16().count())
        .sum::<usize>()
        + allowed.len().saturating_sub(1);
    let inline = inline_len <= INLINE_LIST_LIMIT && !allowed.iter().any(|s| s.contains(','));
    let dv = if inline {
        DataValidation::new()
            .allow_list_strings(allowed)
            .map_err(err)?
    } else {
        let idx = option_lists.len();
        let n = allowed.len().min(1_048_576);
        option_lists.push(allowed.iter().take(n).map(|s| s.to_string()).collect());
        let letters = column_letters(idx);
        DataValidation::new().allow_list_formula(Formula::new(format!(
            "'{OPTIONS_SHEET}'!${letters}$1:${letters}${n}"
        )))
    };
    let dv = dv
        .set_error_style(DataValidationErrorStyle::Stop)
        .set_error_title("输入无效")
        .map_err(err)?
        .set_error_message(format!(
            "“{}”只能从下拉列表中选择，请点击单元格右侧的箭头选择。",
            clip(header, 40)
        ))
        .map_err(err)?;
    ws.add_data_validation(1, c, VALIDATION_LAST_ROW - 1, c, &dv)
        .map_err(err)?;
    Ok(())
}

/// Writes the 说明 sheet.
fn write_help(
    wb: &mut Workbook,
    title: &str,
    columns: &[TemplateColumn],
    instructions: &[String],
) -> Result<(), FileError> {
    let title_fmt = XlsxFormat::new().set_bold().set_font_size(14);
    let table_header = XlsxFormat::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color(Color::RGB(0xDDEBF7));
    let cell = XlsxFormat::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Top);

    let ws = wb.add_worksheet();
    ws.set_name(HELP_SHEET).map_err(err)?;
    for (c, w) in [(0u16, 22.0), (1, 22.0), (2, 10.0), (3, 40.0), (4, 60.0)] {
        ws.set_column_width(c, w).map_err(err)?;
    }
    let mut row: u32 = 0;
    if !title.trim().is_empty() {
        ws.write_string_with_format(row, 0, clip(title.trim(), 32_767), &title_fmt)
            .map_err(err)?;
        row += 1;
    }
    let mut lines: Vec<String> = instructions.iter().map(|s| clip(s, 32_767)).collect();
    let mut standard =
        "标有 * 的列为必填项；请在“数据”工作表中从第 2 行起填写，不要修改表头。".to_string();
    if columns.iter().any(|c| !c.sample.is_empty()) {
        standard.push_str("第 2 行为示例数据，导入前请删除或覆盖。");
    }
    lines.push(standard);
    for line in &lines {
        ws.write_string(row, 0, line).map_err(err)?;
        row += 1;
    }
    row += 1;
    for (c, h) in ["列名", "英文键", "是否必填", "可选值", "说明"]
        .iter()
        .enumerate()
    {
        ws.write_string_with_format(row, c as u16, *h, &table_header)
            .map_err(err)?;
    }
    row += 1;
    for col in columns {
        if row >= 1_048_575 {
            break;
        }
        let allowed = col
            .allowed
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("、");
        let values = [
            col.header.trim().trim_end_matches(['*', '＊']).to_string(),
            col.key.clone(),
            if col.required { "是" } else { "否" }.to_string(),
            allowed,
            col.note.trim().to_string(),
        ];
        for (c, v) in values.iter().enumerate() {
            ws.write_string_with_format(row, c as u16, clip(v, 32_767), &cell)
                .map_err(err)?;
        }
        row += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::column_letters;

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }
}
