//! Snapshot of the command-line help: every command, argument and option has a help line.

use clap::CommandFactory;
use qbank::cli::args::Cli;

#[test]
fn every_argument_and_option_has_a_help_line() {
    let cli = Cli::command();
    let mut missing = Vec::new();
    for sub in cli.get_subcommands() {
        if sub.get_about().is_none() {
            missing.push(format!("qbank {}", sub.get_name()));
        }
        for arg in sub.get_arguments() {
            let name = arg.get_id().as_str();
            if name != "help" && arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("qbank {} {name}", sub.get_name()));
            }
        }
    }
    assert!(missing.is_empty(), "no help line: {missing:?}");
}
