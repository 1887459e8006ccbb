//! Time-series charts drawn by the server as SVG (no chart library, nothing downloaded): values
//! per fiscal year as lines with points, and targets as marks with a dashed line from the last
//! value. Every point has a `<title>` (a tooltip, and text for screen readers); pages show the
//! same numbers in a table next to the chart, so the chart is never the only way to read them.

use maud::{html, Markup};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// One series of points (fiscal year, value).
#[derive(Debug, Clone)]
pub struct Line {
    /// Its name in the page's language (the legend and the tooltips).
    pub name: String,
    /// The CSS class of its points (`point` for computed values, `stored` for stored ones).
    pub class: &'static str,
    /// Whether the points are joined by a line.
    pub joined: bool,
    /// The points, any order.
    pub points: Vec<(i32, Decimal)>,
}

/// A chart over fiscal years.
#[derive(Debug, Clone)]
pub struct Chart {
    /// What the chart shows (its accessible name).
    pub title: String,
    /// A sentence describing it (its accessible description).
    pub description: String,
    /// The unit of the values, written on the axis.
    pub unit: String,
    /// The first and last fiscal year of the axis.
    pub years: (i32, i32),
    /// The series.
    pub lines: Vec<Line>,
    /// Targets: (fiscal year, value, tooltip).
    pub targets: Vec<(i32, Decimal, String)>,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 320.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 40.0;

/// A step of 1, 2 or 5 × 10ⁿ that divides `span` into about five parts.
fn nice_step(span: f64) -> f64 {
    if span <= 0.0 || !span.is_finite() {
        return 1.0;
    }
    let rough = span / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let fraction = rough / magnitude;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// A tick label: no more decimals than the step needs.
fn tick_label(value: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    format!("{value:.decimals$}")
}

/// The chart as an SVG element (scales with the page's width).
pub fn svg(chart: &Chart, id: &str) -> Markup {
    let values: Vec<f64> = chart
        .lines
        .iter()
        .flat_map(|line| line.points.iter().map(|(_, value)| *value))
        .chain(chart.targets.iter().map(|(_, value, _)| *value))
        .filter_map(|value| value.to_f64())
        .collect();
    let lowest = values.iter().copied().fold(0.0_f64, f64::min);
    let highest = values.iter().copied().fold(0.0_f64, f64::max);
    let step = nice_step(highest - lowest);
    let y_min = (lowest / step).floor() * step;
    let y_max = ((highest / step).ceil() * step).max(y_min + step);
    let (first, last) = (chart.years.0, chart.years.1.max(chart.years.0 + 1));
    let x = |year: i32| LEFT + f64::from(year - first) / f64::from(last - first) * (WIDTH - LEFT - RIGHT);
    let y = |value: f64| TOP + (y_max - value) / (y_max - y_min) * (HEIGHT - TOP - BOTTOM);
    let ticks: Vec<f64> = (0..)
        .map(|index| y_min + f64::from(index) * step)
        .take_while(|value| *value <= y_max + step / 2.0)
        .collect();
    let year_step = match last - first {
        0..=10 => 1,
        11..=20 => 2,
        21..=40 => 5,
        _ => 10,
    };
    let years: Vec<i32> = (first..=last).filter(|year| (year - first) % year_step == 0).collect();
    let title_id = format!("{id}-title");
    let description_id = format!("{id}-description");
    let point = |value: &Decimal| value.to_f64().unwrap_or(0.0);
    let sorted: Vec<(&Line, Vec<(i32, Decimal)>)> = chart
        .lines
        .iter()
        .map(|line| {
            let mut points = line.points.clone();
            points.sort_by_key(|(year, _)| *year);
            (line, points)
        })
        .collect();
    html! {
        svg.chart #(id) xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" aria-labelledby={ (title_id) " " (description_id) } {
            title #(title_id) { (chart.title) }
            desc #(description_id) { (chart.description) }
            @for tick in &ticks {
                line.grid x1=(LEFT) x2=(WIDTH - RIGHT) y1=(y(*tick)) y2=(y(*tick)) {}
                text x=(LEFT - 8.0) y=(y(*tick) + 4.0) text-anchor="end" { (tick_label(*tick, step)) }
            }
            line.axis x1=(LEFT) x2=(LEFT) y1=(TOP) y2=(HEIGHT - BOTTOM) {}
            line.axis x1=(LEFT) x2=(WIDTH - RIGHT) y1=(HEIGHT - BOTTOM) y2=(HEIGHT - BOTTOM) {}
            text x=(LEFT - 8.0) y=(TOP - 8.0) text-anchor="end" { (chart.unit) }
            @for year in &years {
                text x=(x(*year)) y=(HEIGHT - BOTTOM + 18.0) text-anchor="middle" { (year) }
            }
            @for (line, points) in &sorted {
                @if line.joined && points.len() > 1 {
                    polyline.series points=(points.iter().map(|(year, value)| format!("{:.1},{:.1}", x(*year), y(point(value)))).collect::<Vec<_>>().join(" ")) {}
                }
                @for (year, value) in points.iter() {
                    circle class=(line.class) cx=(x(*year)) cy=(y(point(value))) r="5" {
                        title { (line.name) " " (year) ": " (super::i18n::decimal(value)) " " (chart.unit) }
                    }
                }
            }
            @if let Some((last_year, last_value)) = chart.lines.iter().flat_map(|line| line.points.iter()).max_by_key(|(year, _)| *year) {
                @for (year, value, _) in &chart.targets {
                    @if year > last_year {
                        line.target-line x1=(x(*last_year)) y1=(y(point(last_value))) x2=(x(*year)) y2=(y(point(value))) {}
                    }
                }
            }
            @for (year, value, tooltip) in &chart.targets {
                rect.target x=(x(*year) - 5.0) y=(y(point(value)) - 5.0) width="10" height="10" transform={ "rotate(45 " (x(*year)) " " (y(point(value))) ")" } {
                    title { (tooltip) }
                }
            }
        }
    }
}

/// Counts as horizontal bars, one per `(label, count)`, each with its number written after it
/// and a `<title>`; pages show the same numbers in a table.
pub fn bars(title: &str, description: &str, items: &[(String, u64)], id: &str) -> Markup {
    const ROW: f64 = 24.0;
    const LABEL: f64 = 220.0;
    let highest = items.iter().map(|(_, count)| *count).max().unwrap_or(0).max(1) as f64;
    let height = TOP + ROW * items.len() as f64 + 8.0;
    let span = WIDTH - LABEL - RIGHT - 40.0;
    let title_id = format!("{id}-title");
    let description_id = format!("{id}-description");
    html! {
        svg.chart #(id) xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (WIDTH) " " (height) } role="img" aria-labelledby={ (title_id) " " (description_id) } {
            title #(title_id) { (title) }
            desc #(description_id) { (description) }
            line.axis x1=(LABEL) x2=(LABEL) y1=(TOP - 8.0) y2=(height - 8.0) {}
            @for (index, (label, count)) in items.iter().enumerate() {
                @let y = TOP + ROW * index as f64;
                text x=(LABEL - 8.0) y=(y + 14.0) text-anchor="end" { (label) }
                rect.bar x=(LABEL) y=(y + 2.0) width=(format!("{:.1}", *count as f64 / highest * span)) height=(ROW - 6.0) {
                    title { (label) ": " (count) }
                }
                text x=(LABEL + *count as f64 / highest * span + 6.0) y=(y + 14.0) { (count) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_as_long_as_their_counts() {
        let svg = bars(
            "会員種別",
            "種別ごとの会員数",
            &[("企業".to_owned(), 4), ("自治体".to_owned(), 1)],
            "types",
        )
        .into_string();
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 2);
        assert!(svg.contains("<title>企業: 4</title>"));
        assert!(
            svg.contains("width=\"436.0\"") && svg.contains("width=\"109.0\""),
            "{svg}"
        );
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(19.0), 5.0);
        assert_eq!(nice_step(100.0), 20.0);
        assert_eq!(nice_step(0.8), 0.2);
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(tick_label(0.4, 0.2), "0.4");
        assert_eq!(tick_label(15.0, 5.0), "15");
    }

    #[test]
    fn a_chart_has_a_name_points_with_tooltips_and_targets() {
        let chart = Chart {
            title: "入口側循環利用率".to_owned(),
            description: "2000年度から2030年度".to_owned(),
            unit: "%".to_owned(),
            years: (2000, 2030),
            lines: vec![Line {
                name: "算定値".to_owned(),
                class: "point",
                joined: true,
                points: vec![(2019, Decimal::new(157, 1)), (2000, Decimal::new(102, 1))],
            }],
            targets: vec![(2030, Decimal::new(19, 0), "目標 2030年度 19 %".to_owned())],
        };
        let svg = svg(&chart, "inlet").into_string();
        assert!(svg.starts_with("<svg class=\"chart\" id=\"inlet\""), "{svg}");
        assert!(svg.contains("role=\"img\"") && svg.contains("<title id=\"inlet-title\">入口側循環利用率</title>"));
        assert!(svg.contains("<title>算定値 2019: 15.7 %</title>"));
        assert!(svg.contains("<title>目標 2030年度 19 %</title>"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("class=\"target-line\"").count(), 1);
        assert!(svg.contains(">2000</text>") && svg.contains(">2030</text>"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }
}
