//! Figures drawn with plotters: the same chart renders to an SVG string (inlined in the HTML
//! report) and to a PNG file, with DejaVu Sans embedded so text renders on machines without
//! system fonts. Colours are the Okabe-Ito palette (colour-blind safe).

use crate::report::files::WriteError;
use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor;

/// Okabe & Ito (2008) colours, without black.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
];

/// Registered under the generic family name, so the SVGs ask browsers for their own sans-serif.
const FONT: &str = "sans-serif";
static FONT_ONCE: Once = Once::new();

fn register_font() {
    FONT_ONCE.call_once(|| {
        // The embedded font is valid TrueType; if registration failed, text would be missing
        // from PNGs only (SVG text is rendered by the browser).
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

/// One line (or bar) series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// A chart with labelled axes, several series, and optional reference lines (the cut score).
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub name: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Draw the series as bars of this width instead of lines.
    pub bar_width: Option<f64>,
    pub vline: Option<(f64, String)>,
    /// Horizontal reference lines (the cut, a target), each with its legend label.
    pub hlines: Vec<(f64, String)>,
    /// Vertical interval bars (x, low, high), drawn in the first series' colour.
    pub whiskers: Vec<(f64, f64, f64)>,
    /// Labels for whole-number x positions (categorical axes); other positions stay blank.
    pub x_names: Vec<String>,
    /// Fixed axis ranges instead of the data's. A line leaving `y_range` is cut at its edge
    /// (say so in the caption); `x_range` must hold the data (small multiples share it).
    pub x_range: Option<(f64, f64)>,
    pub y_range: Option<(f64, f64)>,
}

/// Charts drawn as small multiples in one figure: a grid of `cols` panels a row, each titled,
/// without legends (a panel's title says what it shows).
#[derive(Debug, Clone, PartialEq)]
pub struct Panels {
    pub name: String,
    pub title: String,
    pub charts: Vec<Chart>,
    pub cols: usize,
}

/// Past this many series the legend names none of them (it would run off the chart); the chart
/// says so in its corner.
pub const MAX_LEGEND: usize = 12;

/// Size of one panel of [`Panels`] in pixels.
pub const PANEL: (u32, u32) = (270, 200);

impl Chart {
    /// A line chart with no reference lines; set the other fields as needed.
    pub fn lines(
        name: &str,
        title: &str,
        x_label: &str,
        y_label: &str,
        series: Vec<Series>,
    ) -> Chart {
        Chart {
            name: name.into(),
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series,
            bar_width: None,
            vline: None,
            hlines: Vec::new(),
            whiskers: Vec::new(),
            x_names: Vec::new(),
            x_range: None,
            y_range: None,
        }
    }
}

/// Font sizes and margins of a full chart and of a small panel.
struct Style {
    caption: u32,
    label: u32,
    axis: u32,
    margin: u32,
    x_area: u32,
    y_area: u32,
    legend: bool,
}

const FULL: Style = Style {
    caption: 20,
    label: 13,
    axis: 14,
    margin: 12,
    x_area: 40,
    y_area: 56,
    legend: true,
};

const SMALL: Style = Style {
    caption: 14,
    label: 10,
    axis: 11,
    margin: 6,
    x_area: 30,
    y_area: 44,
    legend: false,
};

/// The pieces of a line inside `y0..=y1`, cut where it crosses an edge (linear interpolation).
fn clip_lines(points: &[(f64, f64)], y0: f64, y1: f64) -> Vec<Vec<(f64, f64)>> {
    let inside = |y: f64| (y0..=y1).contains(&y);
    let edge = |a: (f64, f64), b: (f64, f64)| {
        let y = if a.1.max(b.1) > y1 { y1 } else { y0 };
        let t = (y - a.1) / (b.1 - a.1);
        (a.0 + t * (b.0 - a.0), y)
    };
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for (k, &p) in points.iter().enumerate() {
        let prev = k.checked_sub(1).map(|j| points[j]);
        match (prev, inside(p.1)) {
            (Some(q), true) if !inside(q.1) => current.push(edge(q, p)),
            (Some(q), false) if inside(q.1) => {
                current.push(edge(q, p));
                pieces.push(std::mem::take(&mut current));
            }
            _ => {}
        }
        if inside(p.1) {
            current.push(p);
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// Figure size in pixels.
pub const SIZE: (u32, u32) = (720, 420);

fn bounds(c: &Chart) -> ((f64, f64), (f64, f64)) {
    let pts = c
        .series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|p| p.0.is_finite() && p.1.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if let Some((v, _)) = c.vline {
        x0 = x0.min(v);
        x1 = x1.max(v);
    }
    for &(h, _) in &c.hlines {
        y0 = y0.min(h);
        y1 = y1.max(h);
    }
    for &(_, lo, hi) in &c.whiskers {
        y0 = y0.min(lo);
        y1 = y1.max(hi);
    }
    let pad = |a: f64, b: f64| {
        if (b - a).abs() < 1e-12 {
            (a - 1.0, b + 1.0)
        } else {
            (a, b + 0.05 * (b - a))
        }
    };
    let found = x0.is_finite();
    let w = c.bar_width.unwrap_or(0.0);
    let x = match c.x_range {
        Some(r) => r,
        None if found => pad(x0 - w, x1 + w),
        None => (0.0, 1.0),
    };
    let y0 = if c.bar_width.is_some() {
        y0.min(0.0)
    } else {
        y0
    };
    let y = match c.y_range {
        Some(r) => r,
        None if found => pad(y0, y1),
        None => (0.0, 1.0),
    };
    (x, y)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    c: &Chart,
    st: &Style,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let ((x0, x1), (y0, y1)) = bounds(c);
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, (FONT, st.caption))
        .margin(st.margin)
        .x_label_area_size(st.x_area)
        .y_label_area_size(st.y_area)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    // Whole numbers on wide axes, one decimal on narrow ones.
    let fmt = |span: f64| {
        move |v: &f64| {
            if span > 20.0 {
                format!("{v:.0}")
            } else if span > 2.0 {
                format!("{v:.1}")
            } else {
                format!("{v:.2}")
            }
        }
    };
    let (fx, fy) = (fmt(x1 - x0), fmt(y1 - y0));
    let named = |v: &f64| {
        let k = v.round();
        if (v - k).abs() < 1e-6 && k >= 0.0 {
            c.x_names.get(k as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let fx: &dyn Fn(&f64) -> String = if c.x_names.is_empty() { &fx } else { &named };
    chart
        .configure_mesh()
        .x_labels(if c.x_names.is_empty() {
            10
        } else {
            c.x_names.len() + 1
        })
        .x_label_formatter(&fx)
        .y_label_formatter(&fy)
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .label_style((FONT, st.label))
        .axis_desc_style((FONT, st.axis))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    for (k, s) in c.series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .copied()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect();
        // With a fixed y range, lines are cut at its edges and bars end at its top.
        let pieces = match c.y_range {
            Some((lo, hi)) if c.bar_width.is_none() => clip_lines(&pts, lo, hi),
            _ => vec![pts.clone()],
        };
        let pieces = pieces.into_iter().filter(|p| !p.is_empty());
        let drawn = match c.bar_width {
            Some(w) => {
                // Several bar series stand side by side, each a fraction of the width.
                let n = c.series.len() as f64;
                let bw = w / n;
                let shift = (k as f64 - (n - 1.0) / 2.0) * bw;
                // A bar closer to its neighbour than the width is narrowed to the gap.
                let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
                chart.draw_series(pts.iter().enumerate().map(|(i, &(x, y))| {
                    let near = [i.checked_sub(1), Some(i + 1)]
                        .into_iter()
                        .flatten()
                        .filter_map(|j| xs.get(j))
                        .map(|&xj| (xj - x).abs())
                        .fold(f64::INFINITY, f64::min);
                    let half = bw.min(near / n) / 2.0;
                    let (x, y) = (x + shift, y.min(y1));
                    Rectangle::new([(x - half, 0.0), (x + half, y)], colour.mix(0.75).filled())
                }))?
            }
            // Past the seven palette colours, series repeat a colour with dashes.
            None if k >= PALETTE.len() => chart.draw_series(
                pieces.flat_map(|p| DashedLineSeries::new(p, 8, 5, colour.stroke_width(2))),
            )?,
            None => chart
                .draw_series(pieces.flat_map(|p| LineSeries::new(p, colour.stroke_width(2))))?,
        };
        if (2..=MAX_LEGEND).contains(&c.series.len()) {
            // Dashed series get a hollow key.
            let style = if c.bar_width.is_none() && k >= PALETTE.len() {
                colour.stroke_width(2)
            } else {
                colour.filled()
            };
            drawn
                .label(s.label.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], style));
        }
    }
    if !c.whiskers.is_empty() {
        let colour = PALETTE[0];
        let cap = 0.08 * (x1 - x0) / (c.whiskers.len() as f64 + 4.0);
        chart.draw_series(c.whiskers.iter().map(|&(x, lo, hi)| {
            PathElement::new(
                vec![
                    (x - cap, lo),
                    (x + cap, lo),
                    (x, lo),
                    (x, hi),
                    (x - cap, hi),
                    (x + cap, hi),
                ],
                colour.stroke_width(2),
            )
        }))?;
        chart.draw_series(
            c.series
                .first()
                .into_iter()
                .flat_map(|s| s.points.iter())
                .map(|&p| Circle::new(p, 4, colour.filled())),
        )?;
    }
    let grey = RGBColor(80, 80, 80);
    if let Some((v, label)) = &c.vline {
        chart
            .draw_series(LineSeries::new(
                vec![(*v, y0), (*v, y1)],
                grey.stroke_width(2),
            ))?
            .label(label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 14, y)], grey.stroke_width(2))
            });
    }
    // Reference lines: solid grey for the first (the cut), dashed-looking orange for the next.
    for (k, (h, label)) in c.hlines.iter().enumerate() {
        let colour = if k == 0 { grey } else { PALETTE[5] };
        chart
            .draw_series(LineSeries::new(
                vec![(x0, *h), (x1, *h)],
                colour.stroke_width(2),
            ))?
            .label(label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(2))
            });
    }
    let labelled = (2..=MAX_LEGEND).contains(&c.series.len());
    if st.legend && (labelled || c.vline.is_some() || !c.hlines.is_empty()) {
        chart
            .configure_series_labels()
            .label_font((FONT, st.label))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
    }
    if c.series.len() > MAX_LEGEND {
        // Bottom right, beside the centred x-axis description.
        let (w, h) = root.dim_in_pixel();
        let style = (FONT, st.label)
            .into_text_style(root)
            .color(&RGBColor(80, 80, 80))
            .pos(text_anchor::Pos::new(
                text_anchor::HPos::Right,
                text_anchor::VPos::Bottom,
            ));
        root.draw(&Text::new(
            format!("{} curves, too many to label", c.series.len()),
            (w as i32 - st.margin as i32, h as i32 - st.margin as i32 / 2),
            style,
        ))?;
    }
    Ok(())
}

/// What one figure file holds: a chart, or charts as small multiples.
#[derive(Clone, Copy)]
pub enum Figure<'a> {
    One(&'a Chart),
    Grid(&'a Panels),
}

impl Figure<'_> {
    pub fn name(&self) -> &str {
        match self {
            Figure::One(c) => &c.name,
            Figure::Grid(p) => &p.name,
        }
    }

    pub fn title(&self) -> &str {
        match self {
            Figure::One(c) => &c.title,
            Figure::Grid(p) => &p.title,
        }
    }

    fn size(&self) -> (u32, u32) {
        match self {
            Figure::One(_) => SIZE,
            Figure::Grid(p) => {
                let cols = p.cols.max(1);
                let rows = p.charts.len().div_ceil(cols).max(1);
                (cols as u32 * PANEL.0, rows as u32 * PANEL.1 + 36)
            }
        }
    }

    fn paint<DB: DrawingBackend>(
        &self,
        root: DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        match self {
            Figure::One(c) => draw(&root, c, &FULL)?,
            Figure::Grid(p) => {
                root.fill(&WHITE)?;
                let area = root.titled(&p.title, (FONT, 20))?;
                let cols = p.cols.max(1);
                let rows = p.charts.len().div_ceil(cols).max(1);
                for (cell, c) in area.split_evenly((rows, cols)).iter().zip(&p.charts) {
                    draw(cell, c, &SMALL)?;
                }
            }
        }
        root.present()
    }

    fn render_err<E: std::fmt::Display>(&self, e: E) -> WriteError {
        WriteError::Figure {
            name: self.name().to_string(),
            message: e.to_string(),
        }
    }
}

/// The chart as an SVG document.
pub fn to_svg(c: &Chart) -> Result<String, WriteError> {
    figure_svg(Figure::One(c))
}

fn figure_svg(fig: Figure<'_>) -> Result<String, WriteError> {
    register_font();
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, fig.size()).into_drawing_area();
        fig.paint(root).map_err(|e| fig.render_err(e))?;
    }
    Ok(buf)
}

/// Writes the chart as `DIR/NAME.svg` and `DIR/NAME.png` (each atomically); returns the SVG.
pub fn write(c: &Chart, dir: &Path) -> Result<String, WriteError> {
    write_figure(Figure::One(c), dir)
}

/// Writes a chart or small multiples as `DIR/NAME.svg` and `DIR/NAME.png` (each atomically);
/// returns the SVG.
pub fn write_figure(fig: Figure<'_>, dir: &Path) -> Result<String, WriteError> {
    let svg = figure_svg(fig)?;
    let svg_path = dir.join(format!("{}.svg", fig.name()));
    crate::report::files::write_atomic(&svg_path, |w| w.write_all(svg.as_bytes()))
        .map_err(WriteError::at(&svg_path))?;
    let png_path = dir.join(format!("{}.png", fig.name()));
    let tmp = crate::report::files::temp_beside(&png_path).map_err(WriteError::at(&png_path))?;
    let tmp_png = tmp.path().with_extension("png");
    {
        let root = BitMapBackend::new(&tmp_png, fig.size()).into_drawing_area();
        fig.paint(root).map_err(|e| fig.render_err(e))?;
    }
    std::fs::rename(&tmp_png, &png_path).map_err(WriteError::at(&png_path))?;
    Ok(svg)
}
