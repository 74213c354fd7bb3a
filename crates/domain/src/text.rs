//! Which characters a text field of a record or a subject may hold. NUL and the other control
//! characters break exports, logs and downstream systems; the bidirectional formatting characters
//! (U+202E and its kin) make a name or a fact read differently from what is stored ("Trojan
//! Source"). Both are invisible on the pages and in Excel, so they are refused, not stripped:
//! the official sees where the stray character is and the stored text is what was sent.

use crate::error::{Code, DomainError, Result};

/// Whether a field is one line (names, codes, document numbers) or running text that may hold
/// line breaks and tabs (失信事实, 处理依据, 处理结果).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// What kind of forbidden character `c` is, in words for the message; `None` when it is allowed
/// in a field of this kind.
pub fn forbidden(c: char, lines: Lines) -> Option<&'static str> {
    match c {
        '\t' | '\n' | '\r' if lines == Lines::Multi => None,
        '\0' => Some("空字符"),
        '\t' => Some("制表符"),
        '\n' => Some("换行符"),
        '\r' => Some("回车符"),
        '\u{1}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => Some("控制字符"),
        // Invisible, and they split a name or an ID number for the eye of a matcher while the
        // reader sees it whole (金\u{200b}超文): refused, so that masking sees what a person sees.
        '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{ad}' => {
            Some("不可见字符（零宽字符或软连字符）")
        }
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}' => {
            Some("文字方向控制符")
        }
        _ => None,
    }
}

/// Refuses a value that holds a forbidden character, naming the field and the first such
/// character as U+XXXX.
pub fn check_text(value: &str, field: &str, lines: Lines) -> Result<()> {
    match value
        .chars()
        .find_map(|c| forbidden(c, lines).map(|what| (c, what)))
    {
        None => Ok(()),
        Some((c, what)) => Err(DomainError::new(
            Code::TextControlChar,
            format!(
                "{field}含有不允许的字符 U+{:04X}（{what}），请删除后重新填写",
                u32::from(c)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every character the rule refuses in a one-line field.
    fn refused_anywhere() -> Vec<char> {
        let mut v: Vec<char> = ('\0'..='\u{1f}').collect();
        v.extend('\u{7f}'..='\u{9f}');
        v.extend('\u{200b}'..='\u{200d}');
        v.extend(['\u{2060}', '\u{feff}', '\u{ad}']);
        v.extend('\u{202a}'..='\u{202e}');
        v.extend('\u{2066}'..='\u{2069}');
        v.extend(['\u{200e}', '\u{200f}', '\u{61c}']);
        v
    }

    /// Characters of ordinary Chinese text as officials write it: CJK ideographs, full-width
    /// punctuation, ASCII letters and digits, the brackets of document numbers.
    fn ordinary_char() -> impl Strategy<Value = char> {
        prop_oneof![
            proptest::char::range('\u{4e00}', '\u{9fa5}'),
            proptest::sample::select(
                "，。；：、（）〔〕《》“”！？—…·0123456789abcXYZ -_/"
                    .chars()
                    .collect::<Vec<_>>()
            ),
        ]
    }

    fn ordinary_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(ordinary_char(), 0..60).prop_map(|v| v.into_iter().collect())
    }

    #[test]
    fn names_the_field_and_the_character() {
        let e = check_text("天津市\u{202e}滨海新区", "主体名称", Lines::Single).unwrap_err();
        assert_eq!(e.code, Code::TextControlChar);
        assert!(e.message.contains("主体名称"), "{}", e.message);
        assert!(e.message.contains("U+202E"), "{}", e.message);
        let e = check_text("违约\0事实", "失信事实", Lines::Multi).unwrap_err();
        assert!(e.message.contains("U+0000"), "{}", e.message);
    }

    #[test]
    fn line_breaks_only_in_running_text() {
        let text = "第一，逾期未付款；\r\n第二，\t拒不整改。";
        assert!(check_text(text, "失信事实", Lines::Multi).is_ok());
        let e = check_text(text, "决定文书号", Lines::Single).unwrap_err();
        assert!(e.message.contains("U+000D"), "{}", e.message);
        assert!(check_text("a\u{b}b", "失信事实", Lines::Multi).is_err());
    }

    proptest! {
        #[test]
        fn any_forbidden_character_is_refused(
            before in ordinary_text(),
            after in ordinary_text(),
            c in proptest::sample::select(refused_anywhere()),
            multi in any::<bool>(),
        ) {
            let lines = if multi { Lines::Multi } else { Lines::Single };
            let value = format!("{before}{c}{after}");
            let result = check_text(&value, "字段", lines);
            if multi && matches!(c, '\t' | '\n' | '\r') {
                prop_assert!(result.is_ok());
            } else {
                let e = result.unwrap_err();
                prop_assert_eq!(e.code, Code::TextControlChar);
                let code = format!("U+{:04X}", u32::from(c));
                prop_assert!(e.message.contains(&code), "{}", e.message);
            }
        }

        #[test]
        fn ordinary_chinese_text_passes(text in ordinary_text(), multi in any::<bool>()) {
            let lines = if multi { Lines::Multi } else { Lines::Single };
            prop_assert!(check_text(&text, "字段", lines).is_ok());
        }
    }
}
