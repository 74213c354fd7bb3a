//! A snippet as a reader takes it: the highlighted fragment widened to whole sentences where one
//! ends close by, else marked as cut with "…", so that it never stops mid-sentence unsaid.

use std::ops::Range;

/// Marks that end a sentence or a clause that reads on its own.
const ENDS: [char; 8] = ['。', '！', '？', '；', '!', '?', ';', '\n'];

/// How far (in characters) a fragment is widened to reach a sentence's start or end.
const BACK: usize = 30;
const AHEAD: usize = 40;

/// `text[fragment]` as HTML: widened to the sentence around it when its edges are near (see
/// `BACK`, `AHEAD`), "…" where it is still cut, `marks` (byte ranges within the fragment) in
/// `<b>`, everything else escaped. A fragment that is not a range of `text` is shown as is.
pub fn html(text: &str, fragment: Range<usize>, marks: &[Range<usize>]) -> String {
    if fragment.start > fragment.end
        || fragment.end > text.len()
        || !text.is_char_boundary(fragment.start)
        || !text.is_char_boundary(fragment.end)
    {
        return String::new();
    }
    let start = sentence_start(text, fragment.start);
    let end = sentence_end(text, start, fragment.end);
    let shift = fragment.start - start;
    let mut out = String::with_capacity(end - start + 16);
    // A start after a sentence's end needs no "…": the sentence begins there.
    if start > 0 && !text[..start].trim_end().ends_with(ENDS) {
        out.push('…');
    }
    let part = &text[start..end];
    let mut at = 0;
    let mut sorted: Vec<Range<usize>> = marks
        .iter()
        .map(|m| m.start + shift..m.end + shift)
        .filter(|m| {
            m.start < m.end
                && m.end <= part.len()
                && part.is_char_boundary(m.start)
                && part.is_char_boundary(m.end)
        })
        .collect();
    sorted.sort_by_key(|m| m.start);
    for m in sorted {
        if m.start < at {
            continue;
        }
        out.push_str(&super::escape(&part[at..m.start]));
        out.push_str("<b>");
        out.push_str(&super::escape(&part[m.clone()]));
        out.push_str("</b>");
        at = m.end;
    }
    out.push_str(&super::escape(&part[at..]));
    if end < text.len() {
        out.push('…');
    }
    out
}

/// The start of the sentence holding byte `at` (the text's start is one), if it begins within
/// `BACK` characters; else `at`.
fn sentence_start(text: &str, at: usize) -> usize {
    if at == 0 || text[..at].trim_end().ends_with(ENDS) {
        return at;
    }
    for (taken, (i, c)) in text[..at].char_indices().rev().enumerate() {
        if taken >= BACK {
            return at;
        }
        if ENDS.contains(&c) {
            let after = i + c.len_utf8();
            return after + (text[after..at].len() - text[after..at].trim_start().len());
        }
    }
    0
}

/// The end of the sentence holding byte `at` (just after its mark), if it ends within `AHEAD`
/// characters; else `at`.
fn sentence_end(text: &str, start: usize, at: usize) -> usize {
    if at >= text.len() || text[start..at].trim_end().ends_with(ENDS) {
        return at;
    }
    for (taken, (i, c)) in text[at..].char_indices().enumerate() {
        if taken >= AHEAD {
            break;
        }
        if ENDS.contains(&c) {
            return at + i + c.len_utf8();
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn range_of(text: &str, part: &str) -> Range<usize> {
        let s = text.find(part).unwrap();
        s..s + part.len()
    }

    #[test]
    fn a_fragment_grows_to_its_sentence_when_the_end_is_near() {
        let text = "经查，该局在政府采购合同履行中无正当理由拒绝验收。已责令整改并通报。";
        let f = range_of(text, "在政府采购合同履行中无正当");
        let mark = {
            let r = range_of(&text[f.clone()], "采购");
            r.start..r.end
        };
        let h = html(text, f, &[mark]);
        assert_eq!(
            h,
            "经查，该局在政府<b>采购</b>合同履行中无正当理由拒绝验收。…"
        );
        // The last sentence needs no "…" after it.
        let f = range_of(text, "责令整改");
        assert_eq!(html(text, f, &[]), "已责令整改并通报。");
    }

    #[test]
    fn a_fragment_far_from_any_end_says_it_is_cut() {
        let long = "甲".repeat(50);
        let text = format!("{long}采购{long}");
        let f = range_of(&text, &format!("{}采购{}", "甲".repeat(5), "甲".repeat(5)));
        let h = html(&text, f, &[]);
        assert!(h.starts_with('…') && h.ends_with('…'), "{h}");
        // The whole text: no marks at all.
        assert_eq!(html("短句", 0..6, &[]), "短句");
    }

    #[test]
    fn text_is_escaped_and_bad_ranges_give_nothing() {
        let text = "<script>alert(1)</script>拒绝验收。";
        assert_eq!(
            html(text, 0..text.len(), &[]),
            "&lt;script&gt;alert(1)&lt;/script&gt;拒绝验收。"
        );
        assert_eq!(html("采购", 1..3, &[]), "");
        assert_eq!(html("采购", 0..99, &[]), "");
    }

    proptest! {
        /// Whatever the fragment and marks: no panic, the text without its tags and "…" is one
        /// piece of the original, and it ends on a sentence's end, the text's end or "…".
        #[test]
        fn snippets_are_pieces_of_the_text(
            text in "[采购。，；a<&\\n ]{0,120}",
            a in 0usize..200, b in 0usize..200, m in 0usize..50, n in 0usize..50,
        ) {
            let cut = |i: usize| {
                let mut i = i.min(text.len());
                while !text.is_char_boundary(i) { i -= 1; }
                i
            };
            let (s, e) = (cut(a.min(b)), cut(a.max(b)));
            let h = html(&text, s..e, std::slice::from_ref(&(m..m + n)));
            let plain = h
                .replace("<b>", "")
                .replace("</b>", "")
                .replace("&lt;", "<")
                .replace("&amp;", "&");
            let inner = plain.trim_start_matches('…').trim_end_matches('…');
            prop_assert!(text.contains(inner), "{:?} not in {:?}", inner, text);
            if !plain.is_empty() {
                prop_assert!(
                    plain.ends_with('…')
                        || text.ends_with(inner)
                        || inner.trim_end().ends_with(ENDS)
                        || inner.is_empty(),
                    "{:?}", plain
                );
            }
        }
    }
}
