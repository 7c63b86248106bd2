//! Errors of parameter and covariance files (`qbank link`, `qbank equate --new-params`): each
//! variant names the file and the offending entry.

/// A parameter or covariance file that cannot be used; every variant names the file (or the
/// label the caller gave the text) and the offending entry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamFileError {
    #[error("{file}: cannot read: {message}")]
    Io { file: String, message: String },
    #[error("{file}: line {line}: malformed CSV: {message}")]
    Csv {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{file}: no data rows")]
    Empty { file: String },
    #[error("{file}: header '{header}' is not a parameter header: expected {expected}")]
    BadHeader {
        file: String,
        header: String,
        expected: &'static str,
    },
    #[error("{file}: line {line}, column '{column}': '{value}' is not a finite number")]
    NotNumeric {
        file: String,
        line: u64,
        column: String,
        value: String,
    },
    #[error("{file}: line {line}, column '{column}': value missing")]
    MissingValue {
        file: String,
        line: u64,
        column: String,
    },
    #[error("{file}: line {line}: item '{item}' appears twice")]
    DuplicateItem {
        file: String,
        line: u64,
        item: String,
    },
    #[error("{file}: item '{item}': {parameter} = {value} but {expected}")]
    BadParameter {
        file: String,
        item: String,
        parameter: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("{file}: the covariance matrix has {rows} rows but {columns} columns")]
    NotSquare {
        file: String,
        rows: usize,
        columns: usize,
    },
    #[error(
        "{file}: row {index} is named '{row}' but column {index} is named '{column}': rows and \
         columns must name the same parameters in the same order"
    )]
    RowColumnMismatch {
        file: String,
        index: usize,
        row: String,
        column: String,
    },
    #[error(
        "{file}: '{name}' is not a parameter name: expected PARAM:ITEM with PARAM one of a, b, c, \
         d, g (or ltm's beta.2i, beta.1i, c.i)"
    )]
    BadEntryName { file: String, name: String },
    #[error("{file}: entry '{name}' names item '{item}', which is not in {param_file}")]
    UnknownItem {
        file: String,
        name: String,
        item: String,
        param_file: String,
    },
    #[error(
        "{file}: entry '{name}' is not a free parameter of {param_file} ({parameterisation} \
         parameterisation, {model} model)"
    )]
    UnexpectedEntry {
        file: String,
        name: String,
        param_file: String,
        parameterisation: &'static str,
        model: &'static str,
    },
    #[error("{file}: no entry '{name}' (a free parameter of {param_file})")]
    MissingEntry {
        file: String,
        name: String,
        param_file: String,
    },
    #[error("{file}: entry '{name}' appears twice")]
    DuplicateEntry { file: String, name: String },
    #[error(
        "{file}: not symmetric: ({row}, {column}) = {value:e} but ({column}, {row}) = \
         {transposed:e} (difference {difference:e})"
    )]
    NotSymmetric {
        file: String,
        row: String,
        column: String,
        value: f64,
        transposed: f64,
        difference: f64,
    },
    #[error(
        "{file}: not positive semidefinite: smallest eigenvalue {min_eigenvalue:e} (largest \
         {max_eigenvalue:e})"
    )]
    NotPositiveSemidefinite {
        file: String,
        min_eigenvalue: f64,
        max_eigenvalue: f64,
    },
    #[error("{file}: the covariance matrix is {got} x {got} but the form has {expected} parameters (3 per item, in (a, b, c) order)")]
    WrongDimension {
        file: String,
        got: usize,
        expected: usize,
    },
}
