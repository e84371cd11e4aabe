//! Where the answers to prompts come from: first the `--answer` values, in
//! order, then the terminal (a prompt that asks for a secret is read without
//! echo), or, when standard input is not a terminal, its lines, so that a
//! script can pipe them in. Prompts go to standard error; the transcript of
//! packets stays alone on standard output.

use std::collections::VecDeque;
use std::io::{self, BufRead, IsTerminal, Write};
use zeroize::Zeroizing;

/// The answers for one run.
pub(crate) struct Answers {
    scripted: VecDeque<Zeroizing<String>>,
    terminal: bool,
}

/// What was typed (or scripted), wiped from memory when dropped.
pub(crate) type Typed = Zeroizing<String>;

impl Answers {
    /// Answers from `scripted` first, then from standard input.
    pub(crate) fn new(scripted: &[String]) -> Answers {
        Answers {
            scripted: scripted.iter().cloned().map(Zeroizing::new).collect(),
            terminal: io::stdin().is_terminal(),
        }
    }

    /// The answer to a challenge's prompt, echoed as typed or not. `None`:
    /// nothing left to read.
    pub(crate) fn challenge(&mut self, prompt: &str, echo: bool) -> io::Result<Option<Typed>> {
        if let Some(answer) = self.scripted.pop_front() {
            let mut err = io::stderr().lock();
            let shown = if echo { answer.as_str() } else { "<hidden>" };
            writeln!(err, "{prompt}\n> {shown}    (from --answer)")?;
            return Ok(Some(answer));
        }
        let prompt = format!("{prompt}\n> ");
        if echo {
            self.line(&prompt)
        } else {
            self.secret(&prompt)
        }
    }

    /// A line typed with echo, after `prompt`.
    pub(crate) fn line(&mut self, prompt: &str) -> io::Result<Option<Typed>> {
        {
            let mut err = io::stderr().lock();
            err.write_all(prompt.as_bytes())?;
            err.flush()?;
        }
        read_line()
    }

    /// A secret typed without echo, after `prompt`.
    pub(crate) fn secret(&mut self, prompt: &str) -> io::Result<Option<Typed>> {
        if !self.terminal {
            // A pipe: nothing is shown, so there is nothing to hide.
            return self.line(prompt);
        }
        match rpassword::prompt_password(prompt) {
            Ok(typed) => Ok(Some(Zeroizing::new(typed))),
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// One line of standard input without its line ending; `None` at its end.
fn read_line() -> io::Result<Option<Typed>> {
    let mut line = Zeroizing::new(String::new());
    if io::stdin().lock().read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let end = line.trim_end_matches(['\r', '\n']).len();
    line.truncate(end);
    Ok(Some(line))
}
