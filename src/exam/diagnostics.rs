//! Problems found in an exam's files, each pointing at a file, a line, a column or an item.
//!
//! Validation never stops at the first problem: every reader pushes into one [`Diagnostics`]
//! collector, which keeps the first [`Diagnostics::limit`] of each severity and counts the rest.

use std::fmt;

/// How bad a problem is: errors make the data set unusable, warnings are suspicious but valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Where a problem is: the file, and where known the 1-based line, the column name and the item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: Option<u64>,
    pub column: Option<String>,
    pub item: Option<String>,
}

impl Location {
    pub fn file(file: impl Into<String>) -> Self {
        Location {
            file: file.into(),
            ..Default::default()
        }
    }
    pub fn line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
    pub fn column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }
    pub fn item(mut self, item: impl Into<String>) -> Self {
        self.item = Some(item.into());
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(col) = &self.column {
            write!(f, " column '{col}'")?;
        }
        if let Some(item) = &self.item {
            write!(f, " item '{item}'")?;
        }
        Ok(())
    }
}

/// One problem: where, how bad, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub location: Location,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.severity.as_str(),
            self.location,
            self.message
        )
    }
}

/// Collector of diagnostics with a cap per severity, so a file with a million bad lines stays readable.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    limit: usize,
    errors: usize,
    warnings: usize,
}

impl Default for Diagnostics {
    fn default() -> Self {
        Self::with_limit(Self::DEFAULT_LIMIT)
    }
}

impl Diagnostics {
    /// How many diagnostics of each severity are kept by default.
    pub const DEFAULT_LIMIT: usize = 200;

    pub fn with_limit(limit: usize) -> Self {
        Diagnostics {
            items: Vec::new(),
            limit,
            errors: 0,
            warnings: 0,
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn push(&mut self, severity: Severity, location: Location, message: impl Into<String>) {
        let count = match severity {
            Severity::Error => &mut self.errors,
            Severity::Warning => &mut self.warnings,
        };
        *count += 1;
        if *count <= self.limit {
            self.items.push(Diagnostic {
                severity,
                location,
                message: message.into(),
            });
        }
    }

    pub fn error(&mut self, location: Location, message: impl Into<String>) {
        self.push(Severity::Error, location, message);
    }

    pub fn warning(&mut self, location: Location, message: impl Into<String>) {
        self.push(Severity::Warning, location, message);
    }

    /// Adds another collector's diagnostics and counts (those past its cap stay counted).
    pub fn merge(&mut self, other: &Diagnostics) {
        for d in &other.items {
            self.push(d.severity, d.location.clone(), d.message.clone());
        }
        let kept = |sev| other.items.iter().filter(|d| d.severity == sev).count();
        self.errors += other.errors - kept(Severity::Error);
        self.warnings += other.warnings - kept(Severity::Warning);
    }

    /// Total number of errors found, including those past the limit.
    pub fn error_count(&self) -> usize {
        self.errors
    }

    /// Total number of warnings found, including those past the limit.
    pub fn warning_count(&self) -> usize {
        self.warnings
    }

    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }

    /// True once the error cap is reached: readers may stop early, nothing more would be shown.
    pub fn errors_saturated(&self) -> bool {
        self.errors >= self.limit
    }

    /// The kept diagnostics, errors first, each group in the order found.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        let errors = self.items.iter().filter(|d| d.severity == Severity::Error);
        let warnings = self
            .items
            .iter()
            .filter(|d| d.severity == Severity::Warning);
        errors.chain(warnings)
    }

    /// Lines like a compiler's, plus a count of what the cap left out.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in self.iter() {
            out.push_str(&d.to_string());
            out.push('\n');
        }
        for (n, what) in [(self.errors, "error"), (self.warnings, "warning")] {
            if n > self.limit {
                out.push_str(&format!(
                    "... and {} more {what}(s) not shown\n",
                    n - self.limit
                ));
            }
        }
        out
    }
}
