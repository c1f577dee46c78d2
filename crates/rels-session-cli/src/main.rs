//! The `rels-session` binary: everything happens in the library, so that
//! this file stays a thin shell around [`rels_session_cli::run`].

fn main() -> std::process::ExitCode {
    rels_session_cli::run(std::env::args_os())
}
