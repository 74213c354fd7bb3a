//! Header normalisation and matching of file columns to [`ColumnSpec`]s.

use std::collections::HashMap;

use crate::{ColumnSpec, FileError, error::code};

/// Normalises a header (or JSON key) for matching.
///
/// Trims whitespace and BOMs, maps full-width ASCII forms (`（）＊Ａ１`) to
/// half-width, removes all inner whitespace, strips required-column markers
/// (`*` before or after, `(必填)` after) and lower-cases ASCII letters.
pub(crate) fn normalize(raw: &str) -> String {
    let mut s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}' && *c != '\u{200b}')
        .map(|c| match c {
            // Full-width ASCII variants U+FF01..=U+FF5E map to U+0021..=U+007E.
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(u32::from(c) - 0xfee0).unwrap_or(c),
            _ => c,
        })
        .collect();
    loop {
        let before = s.len();
        for marker in ["*", "(必填)", "(必填项)", "(必选)"] {
            if let Some(stripped) = s.strip_suffix(marker) {
                s.truncate(stripped.len());
            }
        }
        if let Some(stripped) = s.strip_prefix('*') {
            s = stripped.to_string();
        }
        if s.len() == before {
            break;
        }
    }
    s.make_ascii_lowercase();
    s
}

/// Lookup from normalised names (key, header, aliases) to column index.
#[derive(Debug, Clone)]
pub(crate) struct ColumnMatcher {
    names: HashMap<String, usize>,
}

impl ColumnMatcher {
    pub(crate) fn new(columns: &[ColumnSpec]) -> ColumnMatcher {
        let mut names = HashMap::new();
        for (i, col) in columns.iter().enumerate() {
            let all = [col.key, col.header]
                .into_iter()
                .chain(col.aliases.iter().copied());
            for name in all {
                let n = normalize(name);
                if !n.is_empty() {
                    names.entry(n).or_insert(i);
                }
            }
        }
        ColumnMatcher { names }
    }

    /// The spec index a header cell or JSON key refers to.
    pub(crate) fn lookup(&self, raw: &str) -> Option<usize> {
        if self.names.is_empty() {
            return None;
        }
        self.names.get(&normalize(raw)).copied()
    }

    /// Maps each header cell to a spec index; a spec column claimed by an
    /// earlier header cell is not claimed again (the first occurrence wins).
    pub(crate) fn map_header(&self, header: &[String], n_columns: usize) -> HeaderMap {
        let mut present = vec![false; n_columns];
        let mut by_field = Vec::with_capacity(header.len());
        for cell in header {
            let idx = self.lookup(cell).filter(|&i| i < n_columns && !present[i]);
            if let Some(i) = idx {
                present[i] = true;
            }
            by_field.push(idx);
        }
        HeaderMap { by_field, present }
    }
}

/// Mapping from a file's column positions to spec indexes.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeaderMap {
    /// For each field position of the file, the spec column it fills.
    pub(crate) by_field: Vec<Option<usize>>,
    /// For each spec column, whether the file has it.
    pub(crate) present: Vec<bool>,
}

impl HeaderMap {
    pub(crate) fn matched(&self) -> usize {
        self.present.iter().filter(|p| **p).count()
    }

    /// `HEADER_MISSING_COLUMN` listing every missing required column, if any.
    pub(crate) fn check_required(&self, columns: &[ColumnSpec]) -> Result<(), FileError> {
        let missing: Vec<&str> = columns
            .iter()
            .zip(&self.present)
            .filter(|(c, p)| c.required && !**p)
            .map(|(c, _)| c.header)
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(FileError::fatal(
                code::HEADER_MISSING_COLUMN,
                format!("缺少必填列：{}", missing.join("、")),
            ))
        }
    }

    pub(crate) fn found_keys(&self, columns: &[ColumnSpec]) -> Vec<&'static str> {
        columns
            .iter()
            .zip(&self.present)
            .filter(|(_, p)| **p)
            .map(|(c, _)| c.key)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn markers_and_widths() {
        assert_eq!(normalize("\u{feff} 决定文书号* "), "决定文书号");
        assert_eq!(normalize("决定文书号（必填）"), "决定文书号");
        assert_eq!(normalize("决定文书号(必填)"), "决定文书号");
        assert_eq!(normalize("*决定文书号"), "决定文书号");
        assert_eq!(normalize("决定文书号＊"), "决定文书号");
        assert_eq!(normalize("金额（元）"), normalize("金额(元)"));
        assert_eq!(normalize("Document_No"), "document_no");
        assert_eq!(normalize("决定 文书号"), "决定文书号");
        assert_eq!(normalize("*"), "");
    }
}
