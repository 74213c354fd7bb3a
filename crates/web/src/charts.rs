//! Charts drawn on the server as SVG, so that they show without JavaScript, print, and scale
//! with the text: horizontal bars for a breakdown, columns for a trend. Every chart names itself
//! for screen readers (`role="img"`, `<title>`) and stands above a table with the same numbers.
//! Labels are escaped; sizes are bounded whatever the data.

use probity_search::escape as escape_html;

/// Bars shown at most; the table below the chart has every row.
const MAX_BARS: usize = 20;
const BAR_HEIGHT: u32 = 22;
const LABEL_WIDTH: u32 = 190;
const CHART_WIDTH: u32 = 640;

/// Horizontal bars, one per `(label, count)`, largest scale first as given.
pub fn bars(title: &str, rows: &[(String, u64)]) -> String {
    let shown = &rows[..rows.len().min(MAX_BARS)];
    let max = shown.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let height = BAR_HEIGHT * shown.len().max(1) as u32 + 8;
    let room = CHART_WIDTH - LABEL_WIDTH - 60;
    let mut out = format!(
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {CHART_WIDTH} {height}\" \
         preserveAspectRatio=\"xMinYMin meet\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title>{}</title>",
        escape_html(title)
    );
    if shown.is_empty() {
        out.push_str("<text x=\"8\" y=\"20\" class=\"chart-label\">暂无数据</text>");
    }
    for (i, (label, n)) in shown.iter().enumerate() {
        let y = 4 + BAR_HEIGHT * i as u32;
        let w = ((u128::from(*n) * u128::from(room)) / u128::from(max)) as u32;
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"chart-label\">{}</text>\
             <rect x=\"{LABEL_WIDTH}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"chart-bar\"/>\
             <text x=\"{}\" y=\"{}\" class=\"chart-value\">{n}</text>",
            LABEL_WIDTH - 6,
            y + 15,
            escape_html(&clip(label, 14)),
            y + 3,
            w.max(1),
            BAR_HEIGHT - 6,
            LABEL_WIDTH + w + 6,
            y + 15,
        ));
    }
    out.push_str("</svg>");
    out
}

/// Columns in time order, one per `(label, count)`, with every few labels written below (the
/// first in full, then the months of a year without it).
pub fn columns(title: &str, rows: &[(String, u64)]) -> String {
    let shown = &rows[rows.len().saturating_sub(120)..];
    let max = shown.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let (height, base, left) = (220u32, 180u32, 40u32);
    let step = (CHART_WIDTH - left - 10) / shown.len().max(1) as u32;
    let every = (shown.len() / 12).max(1);
    let mut out = format!(
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {CHART_WIDTH} {height}\" \
         preserveAspectRatio=\"xMinYMin meet\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title>{}</title>\
         <line x1=\"{left}\" y1=\"{base}\" x2=\"{CHART_WIDTH}\" y2=\"{base}\" class=\"chart-axis\"/>\
         <text x=\"{}\" y=\"16\" text-anchor=\"end\" class=\"chart-value\">{max}</text>",
        escape_html(title),
        left - 4,
    );
    if shown.is_empty() {
        out.push_str("<text x=\"48\" y=\"100\" class=\"chart-label\">暂无数据</text>");
    }
    for (i, (label, n)) in shown.iter().enumerate() {
        let x = left + step * i as u32 + step / 8;
        let h = ((u128::from(*n) * u128::from(base - 20)) / u128::from(max)) as u32;
        out.push_str(&format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{h}\" class=\"chart-bar\">\
             <title>{}：{n}</title></rect>",
            base - h,
            (step * 3 / 4).max(1),
            escape_html(label),
        ));
        if i % every == 0 {
            out.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"chart-label\">{}</text>",
                x + step * 3 / 8,
                base + 18,
                escape_html(&if i == 0 {
                    label.clone()
                } else {
                    short_month(label)
                }),
            ));
        }
    }
    out.push_str("</svg>");
    out
}

/// "2026年5月" written under a column as "5月" (January keeps its year: "2026年1月").
fn short_month(label: &str) -> String {
    match label.split_once('年') {
        Some((_, m)) if m != "1月" => m.to_string(),
        _ => label.to_string(),
    }
}

/// At most `n` characters, "…" where cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = bars("按类别", &[("拖欠<账款>".into(), 10), ("违约".into(), 5)]);
        assert!(svg.contains("<title>按类别</title>") && svg.contains("role=\"img\""));
        assert!(svg.contains("拖欠&lt;账款&gt;") && !svg.contains("<账款>"));
        let room = CHART_WIDTH - LABEL_WIDTH - 60;
        assert!(svg.contains(&format!("width=\"{room}\"")));
        assert!(svg.contains(&format!("width=\"{}\"", room / 2)));
        assert!(bars("空", &[]).contains("暂无数据"));
    }

    #[test]
    fn columns_label_months_and_name_each_column() {
        let rows: Vec<(String, u64)> = (1u32..=12)
            .map(|m| (format!("2026年{m}月"), u64::from(m)))
            .collect();
        let svg = columns("按月份", &rows);
        assert!(svg.contains("<title>2026年12月：12</title>"));
        assert!(svg.contains(">2026年1月</text>") && svg.contains(">5月</text>"));
    }

    proptest! {
        #[test]
        fn any_data_gives_a_bounded_chart(
            rows in proptest::collection::vec(("[a-z<&\"]{0,30}", 0u64..u64::MAX), 0..300)
        ) {
            let rows: Vec<(String, u64)> = rows;
            for svg in [bars("t", &rows), columns("t", &rows)] {
                prop_assert!(svg.len() < 200_000);
                prop_assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
                prop_assert!(!svg.contains("<&") && !svg.contains("\"\""));
            }
        }
    }
}
