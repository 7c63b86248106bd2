//! The `qbank` command line (see [`qbank::cli`]).

fn main() -> std::process::ExitCode {
    qbank::cli::main()
}
