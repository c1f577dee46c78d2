//! Asking before a destructive command (deleting or revoking sessions).
//!
//! `--yes` skips the question. Without it, a terminal on stdin gets the
//! question on stderr; anything else (a pipe, a cron job, CI) is refused
//! before anything is changed, since nobody could answer.

use std::io::{self, BufRead, IsTerminal, Write};

use crate::exit::Failure;

/// Goes on when `yes` is set or the operator answers yes to `question`.
///
/// # Errors
///
/// [`Failure::NotConfirmed`] when stdin is not a terminal and `yes` is not
/// set, or when the operator does not answer yes.
pub(crate) fn confirm(question: &str, yes: bool) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !io::stdin().is_terminal() {
        return Err(Failure::NotConfirmed(
            "refusing to change sessions without --yes: stdin is not a terminal, \
             so nobody can confirm"
                .to_owned(),
        ));
    }
    let answered = ask(question, &mut io::stdin().lock(), &mut io::stderr().lock())
        .map_err(Failure::Output)?;
    if answered {
        Ok(())
    } else {
        Err(Failure::NotConfirmed(
            "not confirmed; nothing was changed".to_owned(),
        ))
    }
}

/// Writes `question` to `output` and reads one answer from `input`:
/// whether it was `y` or `yes`, in any case.
fn ask(question: &str, input: &mut impl BufRead, output: &mut impl Write) -> io::Result<bool> {
    write!(output, "{question} [y/N] ")?;
    output.flush()?;
    let mut answer = String::new();
    input.read_line(&mut answer)?;
    let answer = answer.trim().to_ascii_lowercase();
    Ok(answer == "y" || answer == "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str) -> (bool, String) {
        let mut shown = Vec::new();
        let yes = ask("Revoke?", &mut text.as_bytes(), &mut shown).expect("in memory");
        (yes, String::from_utf8(shown).expect("UTF-8"))
    }

    #[test]
    fn only_yes_goes_on() {
        for text in ["y\n", "YES\n", " yes \n", "Y"] {
            assert!(answer(text).0, "{text:?}");
        }
        for text in ["\n", "n\n", "no\n", "yep\n", ""] {
            assert!(!answer(text).0, "{text:?}");
        }
    }

    #[test]
    fn the_question_names_the_default() {
        assert_eq!(answer("n\n").1, "Revoke? [y/N] ");
    }

    #[test]
    fn yes_needs_no_terminal() {
        assert!(confirm("Delete?", true).is_ok());
    }
}
