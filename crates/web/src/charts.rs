//! Charts drawn on the server as SVG, so that they show without JavaScript, print, and scale
//! with the text: horizontal bars for a breakdown (of counts, or of scores out of full marks),
//! columns for a trend, a radar for shares of a whole. Every chart names itself
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

/// Scaled bars shown at most; the table below the chart has every row.
const MAX_SCALED_BARS: usize = 60;

/// Horizontal bars of values out of `full` (a score out of its full marks, both in hundredths),
/// in the order given, each with its value as written beside it (`85.5`). A value above `full`
/// is drawn as `full`.
pub fn scaled_bars(title: &str, full: u64, rows: &[(String, u64, String)]) -> String {
    let shown = &rows[..rows.len().min(MAX_SCALED_BARS)];
    let full = full.max(1);
    let height = BAR_HEIGHT * shown.len().max(1) as u32 + 8;
    let room = CHART_WIDTH - LABEL_WIDTH - 70;
    let mut out = format!(
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {CHART_WIDTH} {height}\" \
         preserveAspectRatio=\"xMinYMin meet\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title>{}</title>",
        escape_html(title)
    );
    if shown.is_empty() {
        out.push_str("<text x=\"8\" y=\"20\" class=\"chart-label\">暂无数据</text>");
    }
    for (i, (label, value, text)) in shown.iter().enumerate() {
        let y = 4 + BAR_HEIGHT * i as u32;
        let w = ((u128::from((*value).min(full)) * u128::from(room)) / u128::from(full)) as u32;
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"chart-label\">{}</text>\
             <rect x=\"{LABEL_WIDTH}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"chart-bar\"/>\
             <text x=\"{}\" y=\"{}\" class=\"chart-value\">{}</text>",
            LABEL_WIDTH - 6,
            y + 15,
            escape_html(&clip(label, 14)),
            y + 3,
            w.max(1),
            BAR_HEIGHT - 6,
            LABEL_WIDTH + w + 6,
            y + 15,
            escape_html(&clip(text, 12)),
        ));
    }
    out.push_str("</svg>");
    out
}

/// Axes a radar shows at most.
const MAX_AXES: usize = 16;

/// A share in hundredths of a percent (`8550`) as written: `85.5%`.
fn percent(share: u64) -> String {
    let (int, frac) = (share / 100, share % 100);
    match frac {
        0 => format!("{int}%"),
        f if f % 10 == 0 => format!("{int}.{}%", f / 10),
        f => format!("{int}.{f:02}%"),
    }
}

/// A radar chart of shares, one axis per `(label, share)` clockwise from the top, each share in
/// hundredths of a percent (`10000` is the whole; more is drawn as the whole), with rings at a
/// quarter, a half, three quarters and the whole. Fewer than three axes make no area: they are
/// drawn as scaled bars.
pub fn radar(title: &str, axes: &[(String, u64)]) -> String {
    let shown = &axes[..axes.len().min(MAX_AXES)];
    if shown.len() < 3 {
        let rows: Vec<(String, u64, String)> = shown
            .iter()
            .map(|(l, s)| (l.clone(), *s, percent(*s)))
            .collect();
        return scaled_bars(title, 10_000, &rows);
    }
    let (height, cx, cy, r) = (400u32, 320.0f64, 205.0f64, 140.0f64);
    let n = shown.len();
    let at = |i: usize, share: f64| {
        let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n as f64;
        (cx + r * share * angle.cos(), cy + r * share * angle.sin())
    };
    let polygon = |share_of: &dyn Fn(usize) -> f64| {
        (0..n)
            .map(|i| {
                let (x, y) = at(i, share_of(i));
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = format!(
        "<svg class=\"chart radar\" role=\"img\" viewBox=\"0 0 {CHART_WIDTH} {height}\" \
         preserveAspectRatio=\"xMinYMin meet\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title>{}</title>",
        escape_html(title)
    );
    for ring in [0.25, 0.5, 0.75, 1.0] {
        out.push_str(&format!(
            "<polygon points=\"{}\" class=\"chart-grid\"/>",
            polygon(&|_| ring)
        ));
    }
    for i in 0..n {
        let (x, y) = at(i, 1.0);
        out.push_str(&format!(
            "<line x1=\"{cx:.1}\" y1=\"{cy:.1}\" x2=\"{x:.1}\" y2=\"{y:.1}\" class=\"chart-grid\"/>"
        ));
    }
    for (ring, text) in [(0.5, "50%"), (1.0, "100%")] {
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" class=\"chart-value\">{text}</text>",
            cx + 4.0,
            cy - r * ring + 12.0
        ));
    }
    let share = |i: usize| shown[i].1.min(10_000) as f64 / 10_000.0;
    out.push_str(&format!(
        "<polygon points=\"{}\" class=\"chart-area\"/>",
        polygon(&share)
    ));
    for (i, (label, s)) in shown.iter().enumerate() {
        let (x, y) = at(i, share(i));
        out.push_str(&format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" class=\"chart-dot\">\
             <title>{}：{}</title></circle>",
            escape_html(label),
            percent(*s)
        ));
        let (lx, ly) = at(i, 1.0 + 16.0 / r);
        let cos = (lx - cx) / (r + 16.0);
        let anchor = if cos.abs() < 0.3 {
            "middle"
        } else if cos > 0.0 {
            "start"
        } else {
            "end"
        };
        let sin = (ly - cy) / (r + 16.0);
        let ly = if sin < -0.5 {
            ly - 16.0
        } else if sin > 0.5 {
            ly + 10.0
        } else {
            ly - 2.0
        };
        out.push_str(&format!(
            "<text x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"{anchor}\" class=\"chart-label\">{}</text>\
             <text x=\"{lx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" class=\"chart-value\">{}</text>",
            escape_html(&clip(label, 10)),
            ly + 14.0,
            percent(*s)
        ));
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

    #[test]
    fn scaled_bars_scale_to_the_full_marks_and_show_the_value_as_written() {
        let room = CHART_WIDTH - LABEL_WIDTH - 70;
        let svg = scaled_bars(
            "街镇总分",
            10_000,
            &[
                ("新河街道".into(), 10_000, "100".into()),
                ("大沽<街道>".into(), 5_000, "50".into()),
                ("超出".into(), 20_000, "200".into()),
            ],
        );
        assert!(svg.contains("<title>街镇总分</title>"));
        assert_eq!(svg.matches(&format!("width=\"{room}\"")).count(), 2);
        assert!(svg.contains(&format!("width=\"{}\"", room / 2)));
        assert!(svg.contains(">50</text>") && svg.contains("大沽&lt;街道&gt;"));
        assert!(scaled_bars("空", 100, &[]).contains("暂无数据"));
    }

    #[test]
    fn radar_draws_one_axis_per_share_and_names_each_point() {
        let axes: Vec<(String, u64)> = [("依法行政", 8_550), ("政务公开", 10_000), ("守信践诺", 0)]
            .iter()
            .map(|(l, s)| (l.to_string(), *s))
            .collect();
        let svg = radar("各维度得分率", &axes);
        assert!(svg.contains("<title>各维度得分率</title>") && svg.contains("role=\"img\""));
        assert!(svg.contains("<title>依法行政：85.5%</title>"));
        assert!(svg.contains("<title>守信践诺：0%</title>"));
        assert_eq!(svg.matches("class=\"chart-dot\"").count(), 3);
        // The first axis points straight up: 85.5% of the 140-unit radius above the centre.
        assert!(svg.contains("<circle cx=\"320.0\" cy=\"85.3\""), "{svg}");
        // Two axes make no area: bars instead.
        let two = radar("两项", &axes[..2]);
        assert!(!two.contains("chart-area") && two.contains(">85.5%</text>"));
        assert_eq!(percent(8_505), "85.05%");
    }

    proptest! {
        #[test]
        fn any_data_gives_a_bounded_chart(
            rows in proptest::collection::vec(("[a-z<&\"]{0,30}", 0u64..u64::MAX), 0..300)
        ) {
            let rows: Vec<(String, u64)> = rows;
            let scaled: Vec<(String, u64, String)> =
                rows.iter().map(|(l, n)| (l.clone(), *n, l.clone())).collect();
            let shares: Vec<(String, u64)> = rows.iter().map(|(l, n)| (l.clone(), n % 20_000)).collect();
            for svg in [
                bars("t", &rows),
                columns("t", &rows),
                scaled_bars("t", 10_000, &scaled),
                radar("t", &shares),
            ] {
                prop_assert!(svg.len() < 200_000);
                prop_assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
                prop_assert!(!svg.contains("<&") && !svg.contains("\"\""));
            }
        }
    }
}
