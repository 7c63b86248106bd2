//! A report document written twice as it is built: as self-contained HTML (CSS inline, figures as
//! inline SVG, no scripts) and as Markdown (figures linked as PNG files) for pasting into tickets.
//! Every table also goes to `tables/NAME.csv` beside the document, so the numbers can be reused.

use crate::report::files::WriteError;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::esc;
use super::figures::{self, Chart, Figure};

const CSS: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.6em}h2{border-bottom:2px solid #0072b2;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.6em}\
table{border-collapse:collapse;margin:1em 0;font-size:.85em}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}\
th{background:#eef4f9}td:first-child,th:first-child{text-align:left}figure{margin:1em 0}figure svg{max-width:100%;height:auto}\
.pair{display:flex;flex-wrap:wrap;gap:1em}.pair figure{flex:1 1 420px}\
figcaption{font-size:.85em;color:#555}.note{color:#555;font-size:.9em}.warn{color:#a33}.card{border:1px solid #ddd;border-radius:6px;padding:0 1em;margin:1.5em 0;page-break-inside:avoid}\
@media print{h2{page-break-before:always}figure{page-break-inside:avoid}}";

/// A document under construction.
pub struct Doc {
    pub html: String,
    pub md: String,
    /// Where figures (SVG + PNG) are written, and how the Markdown refers to that folder.
    fig_dir: PathBuf,
    fig_rel: String,
    /// Where tables are written as CSV (None: not written).
    table_dir: Option<PathBuf>,
    in_section: bool,
    in_card: bool,
    in_pair: bool,
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

impl Doc {
    pub fn new(
        title: &str,
        subtitle: &str,
        fig_dir: &Path,
        fig_rel: &str,
        table_dir: Option<&Path>,
    ) -> Doc {
        let mut html = String::new();
        let _ = write!(
            html,
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title><style>{CSS}</style></head><body>\n<h1>{t}</h1><p class=\"note\">{s}</p>\n",
            t = esc(title),
            s = esc(subtitle)
        );
        Doc {
            html,
            md: format!("# {title}\n\n{subtitle}\n"),
            fig_dir: fig_dir.to_path_buf(),
            fig_rel: fig_rel.to_string(),
            table_dir: table_dir.map(Path::to_path_buf),
            in_section: false,
            in_card: false,
            in_pair: false,
        }
    }

    fn close(&mut self) {
        self.end_card();
        if self.in_section {
            self.html.push_str("</section>\n");
            self.in_section = false;
        }
    }

    /// Starts a section (closing the previous one).
    pub fn section(&mut self, id: &str, title: &str) {
        self.close();
        let _ = write!(
            self.html,
            "<section id=\"{}\"><h2>{}</h2>",
            esc(id),
            esc(title)
        );
        let _ = write!(self.md, "\n## {title}\n");
        self.in_section = true;
    }

    /// A sub-heading; `card` boxes what follows until the next sub-heading or section.
    pub fn subsection(&mut self, title: &str, card: bool) {
        self.end_card();
        if card {
            self.html.push_str("<div class=\"card\">");
            self.in_card = true;
        }
        let _ = write!(self.html, "<h3>{}</h3>", esc(title));
        let _ = write!(self.md, "\n### {title}\n");
    }

    /// Lays the next figures side by side (until [`Doc::end_group`]).
    pub fn pair(&mut self) {
        self.end_group();
        self.html.push_str("<div class=\"pair\">");
        self.in_pair = true;
    }

    /// Ends a side-by-side group.
    pub fn end_group(&mut self) {
        if self.in_pair {
            self.html.push_str("</div>");
            self.in_pair = false;
        }
    }

    fn end_card(&mut self) {
        self.end_group();
        if self.in_card {
            self.html.push_str("</div>");
            self.in_card = false;
        }
    }

    /// A paragraph of plain text.
    pub fn p(&mut self, text: &str) {
        let _ = write!(self.html, "<p>{}</p>", esc(text));
        let _ = write!(self.md, "\n{text}\n");
    }

    /// A paragraph in the note style (methods, caveats).
    pub fn note(&mut self, text: &str) {
        let _ = write!(self.html, "<p class=\"note\">{}</p>", esc(text));
        let _ = write!(self.md, "\n_{text}_\n");
    }

    /// A bulleted list; `warn` styles it as warnings.
    pub fn list(&mut self, items: &[String], warn: bool) {
        self.html
            .push_str(if warn { "<ul class=\"warn\">" } else { "<ul>" });
        self.md.push('\n');
        for it in items {
            let _ = write!(self.html, "<li>{}</li>", esc(it));
            let _ = writeln!(self.md, "- {it}");
        }
        self.html.push_str("</ul>");
    }

    /// A table; also written to `tables/NAME.csv` when the document keeps tables.
    pub fn table(
        &mut self,
        name: &str,
        header: &[&str],
        rows: Vec<Vec<String>>,
    ) -> Result<(), WriteError> {
        if let Some(dir) = &self.table_dir {
            let p = dir.join(format!("{name}.csv"));
            crate::report::files::write_csv(&p, header, &rows).map_err(WriteError::at(&p))?;
        }
        self.html.push_str("<table><thead><tr>");
        for h in header {
            let _ = write!(self.html, "<th>{}</th>", esc(h));
        }
        self.html.push_str("</tr></thead><tbody>");
        let _ = write!(
            self.md,
            "\n| {} |\n|{}\n",
            header
                .iter()
                .map(|h| md_cell(h))
                .collect::<Vec<_>>()
                .join(" | "),
            "---|".repeat(header.len())
        );
        for r in &rows {
            self.html.push_str("<tr>");
            for c in r {
                let _ = write!(self.html, "<td>{}</td>", esc(c));
            }
            self.html.push_str("</tr>");
            let _ = writeln!(
                self.md,
                "| {} |",
                r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
            );
        }
        self.html.push_str("</tbody></table>\n");
        Ok(())
    }

    /// A figure: written as SVG and PNG, inlined in the HTML, linked from the Markdown.
    pub fn figure(&mut self, chart: &Chart, caption: &str) -> Result<(), WriteError> {
        self.any_figure(Figure::One(chart), caption)
    }

    /// Charts as small multiples in one figure (see [`figures::Panels`]).
    pub fn panels(&mut self, panels: &figures::Panels, caption: &str) -> Result<(), WriteError> {
        self.any_figure(Figure::Grid(panels), caption)
    }

    fn any_figure(&mut self, fig: Figure<'_>, caption: &str) -> Result<(), WriteError> {
        let svg = figures::write_figure(fig, &self.fig_dir)?;
        // Drop the XML declaration: the SVG is inlined into HTML.
        let body = svg.find("<svg").map(|i| &svg[i..]).unwrap_or(&svg);
        let _ = writeln!(
            self.html,
            "<figure>{body}<figcaption>{}</figcaption></figure>",
            esc(caption)
        );
        let _ = write!(
            self.md,
            "\n![{}]({}/{}.png)\n\n_{}_\n",
            md_cell(fig.title()),
            self.fig_rel,
            fig.name(),
            caption
        );
        Ok(())
    }

    /// Finishes the document and writes it (HTML, and Markdown when `md` is given), atomically.
    pub fn write(mut self, html: &Path, md: Option<&Path>) -> Result<(), WriteError> {
        self.close();
        self.html.push_str("</body></html>\n");
        crate::report::files::write_atomic(html, |w| w.write_all(self.html.as_bytes()))
            .map_err(WriteError::at(html))?;
        if let Some(p) = md {
            crate::report::files::write_atomic(p, |w| w.write_all(self.md.as_bytes()))
                .map_err(WriteError::at(p))?;
        }
        Ok(())
    }
}
