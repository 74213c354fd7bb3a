//! Attachments (附件) of cases: proof of rectification, a repair's evidence, a complaint's
//! photographs. What is accepted is decided here, from the bytes and the name together: a file
//! must be one of the accepted types, its content must be what its extension says (a renamed
//! executable or page is refused, so that what an official downloads and opens is what it claims
//! to be), and it must stay within the size limit. The name shown in a download is cleaned by
//! [`safe_file_name`].

use serde::{Deserialize, Serialize};

use crate::error::{Code, DomainError, Result};
use crate::text::{Lines, forbidden};

/// The most bytes an attachment may have: 20 MB.
pub const MAX_ATTACHMENT_BYTES: usize = 20 * 1024 * 1024;

/// The most characters of a cleaned file name.
pub const MAX_FILE_NAME: usize = 100;

/// The kinds of file accepted: documents and scans as offices produce them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentType {
    Pdf,
    Png,
    Jpeg,
    /// Word 97–2003 (an OLE compound file with a `WordDocument` stream).
    Doc,
    /// Word 2007+ (a ZIP package with `word/` parts).
    Docx,
    /// Excel 97–2003 (an OLE compound file with a `Workbook` stream).
    Xls,
    /// Excel 2007+ (a ZIP package with `xl/` parts).
    Xlsx,
}

impl AttachmentType {
    pub const ALL: [AttachmentType; 7] = [
        AttachmentType::Pdf,
        AttachmentType::Png,
        AttachmentType::Jpeg,
        AttachmentType::Doc,
        AttachmentType::Docx,
        AttachmentType::Xls,
        AttachmentType::Xlsx,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AttachmentType::Pdf => "pdf",
            AttachmentType::Png => "png",
            AttachmentType::Jpeg => "jpeg",
            AttachmentType::Doc => "doc",
            AttachmentType::Docx => "docx",
            AttachmentType::Xls => "xls",
            AttachmentType::Xlsx => "xlsx",
        }
    }

    /// The type as messages name it.
    pub fn label(self) -> &'static str {
        match self {
            AttachmentType::Pdf => "PDF",
            AttachmentType::Png => "PNG 图片",
            AttachmentType::Jpeg => "JPEG 图片",
            AttachmentType::Doc => "Word 97-2003 文档",
            AttachmentType::Docx => "Word 文档",
            AttachmentType::Xls => "Excel 97-2003 表格",
            AttachmentType::Xlsx => "Excel 表格",
        }
    }

    /// The type from its stored code.
    pub fn parse(s: &str) -> Option<AttachmentType> {
        AttachmentType::ALL
            .into_iter()
            .find(|t| t.code() == s.trim())
    }

    pub fn mime(self) -> &'static str {
        match self {
            AttachmentType::Pdf => "application/pdf",
            AttachmentType::Png => "image/png",
            AttachmentType::Jpeg => "image/jpeg",
            AttachmentType::Doc => "application/msword",
            AttachmentType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            AttachmentType::Xls => "application/vnd.ms-excel",
            AttachmentType::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }

    /// The file name extensions of the type, lower case, the usual one first.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            AttachmentType::Pdf => &["pdf"],
            AttachmentType::Png => &["png"],
            AttachmentType::Jpeg => &["jpg", "jpeg"],
            AttachmentType::Doc => &["doc"],
            AttachmentType::Docx => &["docx"],
            AttachmentType::Xls => &["xls"],
            AttachmentType::Xlsx => &["xlsx"],
        }
    }

    /// The type an extension (any case, without the dot) names.
    pub fn from_extension(ext: &str) -> Option<AttachmentType> {
        let ext = ext.trim().to_ascii_lowercase();
        AttachmentType::ALL
            .into_iter()
            .find(|t| t.extensions().contains(&ext.as_str()))
    }

    /// Whether `bytes` are a file of this type, by their content alone.
    pub fn matches(self, bytes: &[u8]) -> bool {
        match self {
            AttachmentType::Pdf => bytes.starts_with(b"%PDF-"),
            AttachmentType::Png => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            AttachmentType::Jpeg => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            AttachmentType::Doc => is_ole(bytes) && ole_has_stream(bytes, "WordDocument"),
            AttachmentType::Xls => {
                is_ole(bytes)
                    && (ole_has_stream(bytes, "Workbook") || ole_has_stream(bytes, "Book"))
            }
            AttachmentType::Docx => ooxml_has_part(bytes, b"word/"),
            AttachmentType::Xlsx => ooxml_has_part(bytes, b"xl/"),
        }
    }
}

/// What the content of `bytes` is, when it is one of the accepted types.
pub fn sniff(bytes: &[u8]) -> Option<AttachmentType> {
    AttachmentType::ALL.into_iter().find(|t| t.matches(bytes))
}

/// The accepted types, for messages and the upload form's hint.
pub fn accepted() -> &'static str {
    "PDF、PNG、JPEG、Word（.doc、.docx）、Excel（.xls、.xlsx）"
}

/// Refuses a size over the limit; the web layer asks this before it reads a body.
pub fn check_size(len: u64) -> Result<()> {
    if len > MAX_ATTACHMENT_BYTES as u64 {
        // Megabytes to one decimal, for people.
        let tenths = len * 10 / (1024 * 1024);
        return Err(DomainError::new(
            Code::AttachmentTooLarge,
            format!(
                "附件超过 {} MB（本文件 {}.{} MB）",
                MAX_ATTACHMENT_BYTES / (1024 * 1024),
                tenths / 10,
                tenths % 10
            ),
        ));
    }
    Ok(())
}

/// Checks an attachment: not empty, within the size limit, of an accepted extension, and with
/// content of that type. The type is the answer, for the stored row and the download.
pub fn check(file_name: &str, bytes: &[u8]) -> Result<AttachmentType> {
    let shown = safe_file_name(file_name);
    if bytes.is_empty() {
        return Err(DomainError::new(
            Code::AttachmentEmpty,
            format!("文件“{shown}”是空文件"),
        ));
    }
    check_size(bytes.len() as u64)?;
    let Some(ext) = extension(file_name) else {
        return Err(DomainError::new(
            Code::AttachmentTypeUnsupported,
            format!("文件“{shown}”没有扩展名：只接受 {}", accepted()),
        ));
    };
    let Some(ty) = AttachmentType::from_extension(&ext) else {
        return Err(DomainError::new(
            Code::AttachmentTypeUnsupported,
            format!("不支持的附件类型“.{ext}”：只接受 {}", accepted()),
        ));
    };
    if ty.matches(bytes) {
        return Ok(ty);
    }
    let actual = match sniff(bytes) {
        Some(other) => format!("（实际为 {}）", other.label()),
        None => String::new(),
    };
    Err(DomainError::new(
        Code::AttachmentTypeMismatch,
        format!("文件“{shown}”的内容不是 {}{actual}", ty.label()),
    ))
}

/// The extension of a file name, lower case, without the dot: `None` when it has none.
pub fn extension(file_name: &str) -> Option<String> {
    split_extension(&safe_file_name(file_name))
        .1
        .map(|e| e.to_ascii_lowercase())
}

/// A name's stem and its extension: an extension is 1–10 ASCII letters and digits after the last
/// dot, so that "2026.10.08 会议纪要" has none.
fn split_extension(name: &str) -> (&str, Option<&str>) {
    match name.rsplit_once('.') {
        Some((stem, ext))
            if (1..=10).contains(&ext.len()) && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            (stem, Some(ext))
        }
        _ => (name, None),
    }
}

/// A file name fit for `Content-Disposition` and for a page: the last component of a path only,
/// without control, direction or invisible characters, quotes or the characters Windows forbids;
/// at most [`MAX_FILE_NAME`] characters, keeping the extension; "附件" when nothing is left of
/// the name itself.
pub fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !(c.is_control()
                || forbidden(*c, Lines::Single).is_some()
                || matches!(
                    c,
                    '"' | '\''
                        | '`'
                        | '<'
                        | '>'
                        | ':'
                        | '|'
                        | '?'
                        | '*'
                        | ';'
                        | '\u{2028}'
                        | '\u{2029}'
                ))
        })
        .collect();
    let (stem, ext) = split_extension(cleaned.trim());
    // Leading dots would hide the file on a Unix desktop; trailing ones and spaces Windows drops.
    let stem = stem.trim_matches(|c: char| c == '.' || c.is_whitespace());
    let stem = if stem.is_empty() { "附件" } else { stem };
    match ext {
        Some(ext) => {
            let keep = MAX_FILE_NAME - ext.len() - 1;
            let stem: String = stem.chars().take(keep).collect();
            format!("{}.{ext}", stem.trim_end())
        }
        None => stem.chars().take(MAX_FILE_NAME).collect(),
    }
}

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn is_ole(bytes: &[u8]) -> bool {
    bytes.starts_with(&OLE_MAGIC)
}

/// Whether an OLE compound file has a stream named `name`: a directory entry (128 bytes, on a
/// 128-byte boundary after the 512-byte header) holding the name in UTF-16, its length in bytes
/// with the terminator at 0x40 and the stream type (2) at 0x42. Looking for the entry rather
/// than the bare name keeps a document whose text mentions "Workbook" from passing as a sheet.
fn ole_has_stream(bytes: &[u8], name: &str) -> bool {
    let utf16: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let len_field = (utf16.len() as u16 + 2).to_le_bytes();
    (512..bytes.len()).step_by(128).any(|p| {
        let Some(entry) = bytes.get(p..p + 128) else {
            return false;
        };
        entry.starts_with(&utf16)
            && entry[utf16.len()..utf16.len() + 2] == [0, 0]
            && entry[0x40..0x42] == len_field
            && entry[0x42] == 2
    })
}

fn le16(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at + 2)?;
    Some(usize::from(u16::from_le_bytes([b[0], b[1]])))
}

fn le32(bytes: &[u8], at: usize) -> Option<usize> {
    let b = bytes.get(at..at + 4)?;
    usize::try_from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])).ok()
}

/// The entry names of a ZIP file, from its central directory (the authoritative list; local
/// headers may omit sizes). Empty when the file is not a well-formed ZIP.
fn zip_names(bytes: &[u8]) -> Vec<&[u8]> {
    const EOCD: &[u8] = b"PK\x05\x06";
    const ENTRY: &[u8] = b"PK\x01\x02";
    if !bytes.starts_with(b"PK\x03\x04") || bytes.len() < 22 {
        return Vec::new();
    }
    // The end record is the last 22 bytes plus a comment of at most 65535.
    let last = bytes.len() - 22;
    let first = last.saturating_sub(65_535);
    let Some(eocd) = (first..=last).rev().find(|&i| bytes[i..].starts_with(EOCD)) else {
        return Vec::new();
    };
    let (Some(count), Some(mut p)) = (le16(bytes, eocd + 10), le32(bytes, eocd + 16)) else {
        return Vec::new();
    };
    let mut names = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        if !bytes.get(p..).is_some_and(|b| b.starts_with(ENTRY)) {
            return Vec::new();
        }
        let (Some(name_len), Some(extra), Some(comment)) = (
            le16(bytes, p + 28),
            le16(bytes, p + 30),
            le16(bytes, p + 32),
        ) else {
            return Vec::new();
        };
        let Some(name) = bytes.get(p + 46..p + 46 + name_len) else {
            return Vec::new();
        };
        names.push(name);
        p += 46 + name_len + extra + comment;
    }
    names
}

/// Whether `bytes` are an Office Open XML package with parts under `prefix` (`word/`, `xl/`).
fn ooxml_has_part(bytes: &[u8], prefix: &[u8]) -> bool {
    let names = zip_names(bytes);
    names.iter().any(|n| *n == b"[Content_Types].xml")
        && names.iter().any(|n| n.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ZIP of empty stored entries, as an Office package lays them out.
    fn zip(names: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for name in names {
            let offset = out.len() as u32;
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&[0; 12]); // crc, sizes
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(name.as_bytes());
            central.extend_from_slice(b"PK\x01\x02");
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
        out.extend_from_slice(&(names.len() as u16).to_le_bytes());
        out.extend_from_slice(&(names.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    /// An OLE compound file whose first directory sector lists `streams` after the root entry.
    fn ole(streams: &[&str]) -> Vec<u8> {
        let mut out = OLE_MAGIC.to_vec();
        out.resize(512, 0);
        let mut entry = |name: &str, kind: u8| {
            let mut e = vec![0u8; 128];
            let utf16: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
            e[..utf16.len()].copy_from_slice(&utf16);
            e[0x40..0x42].copy_from_slice(&(utf16.len() as u16 + 2).to_le_bytes());
            e[0x42] = kind;
            out.extend_from_slice(&e);
        };
        entry("Root Entry", 5);
        for s in streams {
            entry(s, 2);
        }
        out
    }

    fn png() -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        v.resize(64, 0);
        v
    }

    #[test]
    fn each_type_by_its_content() {
        let docx = zip(&["[Content_Types].xml", "_rels/.rels", "word/document.xml"]);
        let xlsx = zip(&["[Content_Types].xml", "xl/workbook.xml"]);
        let cases: [(&str, Vec<u8>, AttachmentType); 8] = [
            (
                "整改报告.pdf",
                b"%PDF-1.7\n%\xe2\xe3\n".to_vec(),
                AttachmentType::Pdf,
            ),
            ("现场照片.PNG", png(), AttachmentType::Png),
            (
                "照片.jpg",
                vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16],
                AttachmentType::Jpeg,
            ),
            (
                "照片.jpeg",
                vec![0xFF, 0xD8, 0xFF, 0xE1, 0, 16],
                AttachmentType::Jpeg,
            ),
            ("情况说明.docx", docx, AttachmentType::Docx),
            ("付款台账.xlsx", xlsx, AttachmentType::Xlsx),
            (
                "情况说明.doc",
                ole(&["WordDocument", "1Table"]),
                AttachmentType::Doc,
            ),
            ("台账.xls", ole(&["Workbook"]), AttachmentType::Xls),
        ];
        for (name, bytes, ty) in cases {
            assert_eq!(check(name, &bytes), Ok(ty), "{name}");
            assert_eq!(sniff(&bytes), Some(ty), "{name}");
        }
        assert_eq!(check("old.xls", &ole(&["Book"])), Ok(AttachmentType::Xls));
        assert!(
            AttachmentType::Docx
                .mime()
                .ends_with("wordprocessingml.document")
        );
        for t in AttachmentType::ALL {
            assert_eq!(AttachmentType::parse(t.code()), Some(t));
            assert_eq!(AttachmentType::from_extension(t.extensions()[0]), Some(t));
        }
    }

    #[test]
    fn a_renamed_file_is_refused() {
        let e = check("整改报告.pdf", &png()).unwrap_err();
        assert_eq!(e.code, Code::AttachmentTypeMismatch);
        assert_eq!(
            e.message,
            "文件“整改报告.pdf”的内容不是 PDF（实际为 PNG 图片）"
        );
        let e = check("page.png", b"<html><script>alert(1)</script>").unwrap_err();
        assert_eq!(e.code, Code::AttachmentTypeMismatch);
        assert_eq!(e.message, "文件“page.png”的内容不是 PNG 图片");
        // Word and Excel, new and old, are told apart.
        let docx = zip(&["[Content_Types].xml", "word/document.xml"]);
        assert_eq!(
            check("a.xlsx", &docx).unwrap_err().code,
            Code::AttachmentTypeMismatch
        );
        assert_eq!(
            check("a.xls", &ole(&["WordDocument"])).unwrap_err().code,
            Code::AttachmentTypeMismatch
        );
        assert_eq!(
            check("a.docx", &ole(&["WordDocument"])).unwrap_err().code,
            Code::AttachmentTypeMismatch
        );
        // A ZIP that is no Office package, an OLE file without the stream, a stream name
        // written as text rather than as a directory entry.
        let plain = zip(&["word/document.xml"]);
        assert!(check("a.docx", &plain).is_err());
        assert!(check("a.doc", &ole(&["Contents"])).is_err());
        let mut text = OLE_MAGIC.to_vec();
        text.resize(600, 0);
        text.extend("WordDocument".encode_utf16().flat_map(u16::to_le_bytes));
        assert!(check("a.doc", &text).is_err());
        // A truncated package: no central directory.
        let mut cut = zip(&["[Content_Types].xml", "word/document.xml"]);
        cut.truncate(cut.len() - 30);
        assert!(check("a.docx", &cut).is_err());
    }

    #[test]
    fn size_emptiness_and_unknown_types() {
        let e = check("a.pdf", b"").unwrap_err();
        assert_eq!(e.code, Code::AttachmentEmpty);
        let mut big = b"%PDF-1.7\n".to_vec();
        big.resize(MAX_ATTACHMENT_BYTES, b' ');
        assert_eq!(check("a.pdf", &big), Ok(AttachmentType::Pdf));
        big.push(b' ');
        let e = check("a.pdf", &big).unwrap_err();
        assert_eq!(e.code, Code::AttachmentTooLarge);
        assert!(e.message.starts_with("附件超过 20 MB"), "{}", e.message);
        assert_eq!(
            check_size(25 * 1024 * 1024 + 300 * 1024)
                .unwrap_err()
                .message,
            "附件超过 20 MB（本文件 25.2 MB）"
        );
        let e = check("setup.exe", b"MZ\x90\0").unwrap_err();
        assert_eq!(e.code, Code::AttachmentTypeUnsupported);
        assert!(
            e.message.contains(".exe") && e.message.contains("PDF"),
            "{}",
            e.message
        );
        let e = check("README", b"hello").unwrap_err();
        assert_eq!(e.code, Code::AttachmentTypeUnsupported);
        assert!(e.message.contains("没有扩展名"), "{}", e.message);
    }

    #[test]
    fn file_names_for_downloads() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(
            safe_file_name("C:\\Users\\张三\\整改\\\"报告\".pdf"),
            "报告.pdf"
        );
        assert_eq!(safe_file_name("a\r\nb\u{202e}c.pdf"), "abc.pdf");
        assert_eq!(safe_file_name("说明'; rm -rf.docx"), "说明 rm -rf.docx");
        assert_eq!(safe_file_name(""), "附件");
        assert_eq!(safe_file_name(".pdf"), "附件.pdf");
        assert_eq!(safe_file_name(".."), "附件");
        assert_eq!(safe_file_name("  .hidden.png"), "hidden.png");
        assert_eq!(safe_file_name("2026.10.08 会议纪要"), "2026.10.08 会议纪要");
        let long = format!("{}.xlsx", "长".repeat(300));
        let s = safe_file_name(&long);
        assert_eq!(s.chars().count(), MAX_FILE_NAME);
        assert!(s.ends_with("长.xlsx"));
        assert_eq!(
            safe_file_name(&"名".repeat(300)).chars().count(),
            MAX_FILE_NAME
        );
        assert_eq!(extension("报告.PDF").as_deref(), Some("pdf"));
        assert_eq!(extension("dir.d/README"), None);
    }
}
