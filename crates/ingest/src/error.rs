//! The error type shared by readers and writers.
//!
//! Every error carries a stable machine code (see the `code` constants) and a
//! Chinese message meant to be shown to the official as is. Messages never
//! contain file system paths: callers that want to show the file name prefix it
//! themselves (a server must not leak its temporary paths).

use std::io;

use crate::Limits;
use crate::limits::{count_text, size_text};

/// Stable error codes. The strings are part of the public contract.
pub mod code {
    /// The file could not be opened or read (not found, permission, I/O error).
    pub const FILE_UNREADABLE: &str = "FILE_UNREADABLE";
    /// The file is empty: zero bytes, or no header row / no data at all.
    pub const FILE_EMPTY: &str = "FILE_EMPTY";
    /// The text encoding is neither UTF-8 nor GBK (GB18030).
    pub const FILE_ENCODING: &str = "FILE_ENCODING";
    /// The content is not a table format this crate reads.
    pub const FILE_FORMAT: &str = "FILE_FORMAT";
    /// The `.xlsx` file is truncated, corrupt or has no worksheet.
    pub const XLSX_CORRUPT: &str = "XLSX_CORRUPT";
    /// One or more required columns are missing from the header row.
    pub const HEADER_MISSING_COLUMN: &str = "HEADER_MISSING_COLUMN";
    /// Row-level: a CSV record could not be parsed (unclosed quote, overlong line).
    pub const CSV_MALFORMED: &str = "CSV_MALFORMED";
    /// Row-level: a JSONL line is not a JSON object.
    pub const JSONL_MALFORMED: &str = "JSONL_MALFORMED";
    /// Row-level: a cell holds undecodable bytes or U+FFFD.
    pub const ROW_ENCODING: &str = "ROW_ENCODING";
    /// Writing an output file failed.
    pub const FILE_UNWRITABLE: &str = "FILE_UNWRITABLE";
    /// The `.xlsx` inflates past [`Limits::max_part_bytes`](crate::Limits) in one part or
    /// [`Limits::max_unpacked_bytes`](crate::Limits) in all, whatever its zip directory declares.
    pub const FILE_TOO_LARGE: &str = "FILE_TOO_LARGE";
    /// The `.xlsx` shared-string table holds (or declares) more entries than
    /// [`Limits::max_shared_strings`](crate::Limits), or more text than
    /// [`Limits::max_shared_string_bytes`](crate::Limits).
    pub const XLSX_TOO_MANY_STRINGS: &str = "XLSX_TOO_MANY_STRINGS";
    /// The `.xlsx` structure is out of bounds: more zip entries than
    /// [`Limits::max_parts`](crate::Limits), more formats, sheets, names or relationships than
    /// [`Limits::max_workbook_items`](crate::Limits), or XML nested too deep or with one tag or
    /// comment longer than [`Limits::max_cell_bytes`](crate::Limits).
    pub const XLSX_TOO_COMPLEX: &str = "XLSX_TOO_COMPLEX";
    /// A row has more cells, or a cell in a later column, than
    /// [`Limits::max_columns`](crate::Limits). Fatal.
    pub const ROW_TOO_WIDE: &str = "ROW_TOO_WIDE";
    /// A row (CSV record, JSONL line, worksheet row) is longer than
    /// [`Limits::max_row_bytes`](crate::Limits). Fatal.
    pub const ROW_TOO_LONG: &str = "ROW_TOO_LONG";
    /// One cell (CSV field, worksheet cell, shared string, XML text) is longer than
    /// [`Limits::max_cell_bytes`](crate::Limits). Fatal.
    pub const CELL_TOO_LONG: &str = "CELL_TOO_LONG";
}

/// An error reading or writing a table file.
///
/// `fatal` errors end iteration; row-level errors (`fatal == false`) describe one
/// row (`row` is the number a person sees in the file) and reading continues.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FileError {
    /// Stable code, one of the constants in [`code`].
    pub code: &'static str,
    /// Chinese (zh-CN) message for the official.
    pub message: String,
    /// Row number as a person sees it, for row-level errors.
    pub row: Option<usize>,
    /// Whether reading cannot continue after this error.
    pub fatal: bool,
}

impl FileError {
    /// A fatal error without a row.
    pub fn fatal(code: &'static str, message: impl Into<String>) -> FileError {
        FileError {
            code,
            message: message.into(),
            row: None,
            fatal: true,
        }
    }

    /// A fatal error found at a row: reading ends there.
    pub(crate) fn fatal_at(
        code: &'static str,
        row: usize,
        message: impl Into<String>,
    ) -> FileError {
        FileError {
            code,
            message: message.into(),
            row: Some(row),
            fatal: true,
        }
    }

    /// A row-level, non-fatal error.
    pub fn at_row(code: &'static str, row: usize, message: impl Into<String>) -> FileError {
        FileError {
            code,
            message: message.into(),
            row: Some(row),
            fatal: false,
        }
    }

    pub(crate) fn unreadable(err: &io::Error) -> FileError {
        let message = match err.kind() {
            io::ErrorKind::NotFound => "文件不存在，无法读取".to_string(),
            io::ErrorKind::PermissionDenied => "没有读取该文件的权限".to_string(),
            io::ErrorKind::IsADirectory => "指定的路径是文件夹，不是文件".to_string(),
            _ => format!("读取文件失败（{err}）"),
        };
        FileError::fatal(code::FILE_UNREADABLE, message)
    }

    pub(crate) fn unwritable(err: impl std::fmt::Display) -> FileError {
        FileError::fatal(code::FILE_UNWRITABLE, format!("写入文件失败（{err}）"))
    }

    pub(crate) fn unwritable_io(err: &io::Error) -> FileError {
        let message = match err.kind() {
            io::ErrorKind::NotFound => "无法写入文件：所在文件夹不存在".to_string(),
            io::ErrorKind::PermissionDenied => "没有写入该文件的权限".to_string(),
            io::ErrorKind::IsADirectory => "指定的输出路径是文件夹，不是文件".to_string(),
            _ => format!("写入文件失败（{err}）"),
        };
        FileError::fatal(code::FILE_UNWRITABLE, message)
    }

    pub(crate) fn empty() -> FileError {
        FileError::fatal(code::FILE_EMPTY, "文件为空：没有找到表头行")
    }

    pub(crate) fn encoding() -> FileError {
        FileError::fatal(
            code::FILE_ENCODING,
            "文件编码无法识别：请另存为 UTF-8 或 GBK 编码的 CSV",
        )
    }

    pub(crate) fn binary() -> FileError {
        FileError::fatal(
            code::FILE_FORMAT,
            "文件含有二进制内容，不是文本格式的表格：请上传 CSV、Excel（.xlsx）或 JSONL 文件",
        )
    }

    pub(crate) fn xls() -> FileError {
        FileError::fatal(
            code::FILE_FORMAT,
            "不支持旧版 Excel（.xls）或 WPS 表格格式：请在 Excel 中“另存为” .xlsx 工作簿或 CSV 后重试",
        )
    }

    pub(crate) fn xlsx_as_text() -> FileError {
        FileError::fatal(
            code::FILE_FORMAT,
            "文件内容是 Excel 工作簿（.xlsx），不是文本表格：请按 Excel 格式导入，或将扩展名改为 .xlsx",
        )
    }

    pub(crate) fn xlsx_corrupt() -> FileError {
        FileError::fatal(code::XLSX_CORRUPT, "Excel 文件已损坏或不完整，无法读取")
    }

    pub(crate) fn row_encoding(row: usize, header: &str) -> FileError {
        FileError::at_row(
            code::ROW_ENCODING,
            row,
            format!(
                "第 {row} 行“{header}”列含有无法识别的字符（乱码），请检查文件编码或重新录入该单元格"
            ),
        )
    }

    pub(crate) fn part_too_large(limits: &Limits) -> FileError {
        FileError::fatal(
            code::FILE_TOO_LARGE,
            format!(
                "Excel 文件解压后过大：其中一个组成部分超过 {}，请拆分文件后分批上传",
                size_text(limits.max_part_bytes)
            ),
        )
    }

    pub(crate) fn unpacked_too_large(limits: &Limits) -> FileError {
        FileError::fatal(
            code::FILE_TOO_LARGE,
            format!(
                "Excel 文件解压后过大：合计超过 {}，请拆分文件后分批上传",
                size_text(limits.max_unpacked_bytes)
            ),
        )
    }

    pub(crate) fn too_many_strings(limits: &Limits) -> FileError {
        FileError::fatal(
            code::XLSX_TOO_MANY_STRINGS,
            format!(
                "Excel 文件中不重复的文本超过 {} 条，请拆分文件后分批上传",
                count_text(limits.max_shared_strings)
            ),
        )
    }

    pub(crate) fn too_much_string_text(limits: &Limits) -> FileError {
        FileError::fatal(
            code::XLSX_TOO_MANY_STRINGS,
            format!(
                "Excel 文件中不重复的文本合计超过 {}，请拆分文件后分批上传",
                size_text(limits.max_shared_string_bytes)
            ),
        )
    }

    pub(crate) fn too_many_parts(limits: &Limits) -> FileError {
        FileError::fatal(
            code::XLSX_TOO_COMPLEX,
            format!(
                "Excel 文件包含的组成部分超过 {} 个，无法读取：请将数据复制到新建的工作簿，另存为 .xlsx 后重试",
                count_text(limits.max_parts)
            ),
        )
    }

    /// `what`: the kind of entry, in Chinese (“单元格格式”, “工作表”…).
    pub(crate) fn too_many_items(what: &str, limits: &Limits) -> FileError {
        FileError::fatal(
            code::XLSX_TOO_COMPLEX,
            format!(
                "Excel 文件中的{what}超过 {} 个，无法读取：请将数据复制到新建的工作簿后重试",
                count_text(limits.max_workbook_items)
            ),
        )
    }

    pub(crate) fn xml_too_complex() -> FileError {
        FileError::fatal(
            code::XLSX_TOO_COMPLEX,
            "Excel 文件内部结构异常（标记过长或嵌套过深），无法读取：请将数据复制到新建的工作簿后重试",
        )
    }

    /// A cell too long where its row is not known (the shared-string table).
    pub(crate) fn xlsx_cell_too_long(limits: &Limits) -> FileError {
        FileError::fatal(
            code::CELL_TOO_LONG,
            format!(
                "Excel 文件中有单元格内容超过 {}，请精简该单元格或拆分文件后重试",
                size_text(limits.max_cell_bytes as u64)
            ),
        )
    }

    /// `column`: 1-based.
    pub(crate) fn cell_too_long(row: usize, column: usize, limits: &Limits) -> FileError {
        FileError::fatal_at(
            code::CELL_TOO_LONG,
            row,
            format!(
                "第 {row} 行第 {column} 列的内容超过 {}，请精简该单元格后重试",
                size_text(limits.max_cell_bytes as u64)
            ),
        )
    }

    pub(crate) fn row_too_long(row: usize, limits: &Limits) -> FileError {
        FileError::fatal_at(
            code::ROW_TOO_LONG,
            row,
            format!(
                "第 {row} 行过长（超过 {}），请检查该行内容，或拆分文件后分批上传",
                size_text(limits.max_row_bytes as u64)
            ),
        )
    }

    pub(crate) fn row_too_wide(row: usize, limits: &Limits) -> FileError {
        FileError::fatal_at(
            code::ROW_TOO_WIDE,
            row,
            format!(
                "第 {row} 行超过 {} 列，请删除多余的列后重试",
                count_text(limits.max_columns)
            ),
        )
    }
}
