//! The `schemaflow` command line.
use clap::Parser;

mod cli;

fn main() -> std::process::ExitCode {
    match cli::Cli::try_parse() {
        Ok(parsed) => cli::run(parsed),
        Err(e) => usage_error(e),
    }
}

/// A usage error is one line on stderr, like every other error of the CLI, and exit 2;
/// `--help` and `--version` print as clap prints them.
fn usage_error(e: clap::Error) -> std::process::ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let text = e.render().to_string();
    // clap's text: "error: what", detail lines, a blank, "Usage: …", a blank, "For more…".
    let what: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let what = what.join(" ");
    let what = what.strip_prefix("error: ").unwrap_or(&what);
    let command: Vec<String> = std::env::args()
        .skip(1)
        .take_while(|a| !a.starts_with('-'))
        .take(2)
        .collect();
    let help = if command.is_empty() || e.kind() == ErrorKind::InvalidSubcommand {
        "schemaflow --help".to_string()
    } else {
        format!("schemaflow {} --help", command.join(" "))
    };
    eprintln!("schemaflow: {what} (see `{help}`)");
    std::process::ExitCode::from(2)
}
