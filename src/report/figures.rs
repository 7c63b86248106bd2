//! Figures drawn with plotters: the same chart renders to an SVG string (inlined in the HTML
//! report) and to a PNG file, with DejaVu Sans embedded so text renders on machines without
//! system fonts. Colours are the Okabe-Ito palette (colour-blind safe).

use crate::report::files::WriteError;
use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

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
}

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
        }
    }
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
    if !x0.is_finite() {
        return ((0.0, 1.0), (0.0, 1.0));
    }
    let w = c.bar_width.unwrap_or(0.0);
    let (x0, x1) = (x0 - w, x1 + w);
    let y0 = if c.bar_width.is_some() {
        y0.min(0.0)
    } else {
        y0
    };
    let pad = |a: f64, b: f64| {
        if (b - a).abs() < 1e-12 {
            (a - 1.0, b + 1.0)
        } else {
            (a, b + 0.05 * (b - a))
        }
    };
    (pad(x0, x1), pad(y0, y1))
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    c: &Chart,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let ((x0, x1), (y0, y1)) = bounds(c);
    let mut chart = ChartBuilder::on(&root)
        .caption(&c.title, (FONT, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
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
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
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
        let drawn = match c.bar_width {
            Some(w) => {
                // Several bar series stand side by side, each a fraction of the width.
                let n = c.series.len() as f64;
                let bw = w / n;
                let shift = (k as f64 - (n - 1.0) / 2.0) * bw;
                chart.draw_series(pts.iter().map(|&(x, y)| {
                    let x = x + shift;
                    Rectangle::new(
                        [(x - bw / 2.0, 0.0), (x + bw / 2.0, y)],
                        colour.mix(0.75).filled(),
                    )
                }))?
            }
            // Past the seven palette colours, series repeat a colour with dashes.
            None if k >= PALETTE.len() => {
                chart.draw_series(DashedLineSeries::new(pts, 8, 5, colour.stroke_width(2)))?
            }
            None => chart.draw_series(LineSeries::new(pts, colour.stroke_width(2)))?,
        };
        if c.series.len() > 1 {
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
    if c.series.len() > 1 || c.vline.is_some() || !c.hlines.is_empty() {
        chart
            .configure_series_labels()
            .label_font((FONT, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// The chart as an SVG document.
pub fn to_svg(c: &Chart) -> Result<String, WriteError> {
    register_font();
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, SIZE).into_drawing_area();
        draw(root, c).map_err(|e| WriteError::Figure {
            name: c.name.clone(),
            message: e.to_string(),
        })?;
    }
    Ok(buf)
}

/// Writes the chart as `DIR/NAME.svg` and `DIR/NAME.png` (each atomically); returns the SVG.
pub fn write(c: &Chart, dir: &Path) -> Result<String, WriteError> {
    register_font();
    let svg = to_svg(c)?;
    let svg_path = dir.join(format!("{}.svg", c.name));
    crate::report::files::write_atomic(&svg_path, |w| w.write_all(svg.as_bytes()))
        .map_err(WriteError::at(&svg_path))?;
    let png_path = dir.join(format!("{}.png", c.name));
    let tmp = crate::report::files::temp_beside(&png_path).map_err(WriteError::at(&png_path))?;
    let tmp_png = tmp.path().with_extension("png");
    {
        let root = BitMapBackend::new(&tmp_png, SIZE).into_drawing_area();
        draw(root, c).map_err(|e| WriteError::Figure {
            name: c.name.clone(),
            message: e.to_string(),
        })?;
    }
    std::fs::rename(&tmp_png, &png_path).map_err(WriteError::at(&png_path))?;
    Ok(svg)
}
