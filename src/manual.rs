//! The man pages, generated from the command line's own definition so that
//! they never disagree with `--help`: `okta-radius(1)` with the files,
//! environment and exit statuses an operator looks up, and one page per
//! subcommand (`okta-radius-login(1)`, ...). The Debian package builds them
//! with `okta-radius manual --out DIR`. Part of the binary, not the library:
//! it takes the command as a value and names nothing else of ours.

use clap::Command;
use clap_mangen::Man;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What the main page adds after the options and subcommands, in roff.
const MAIN_EXTRA: &str = r#".SH FILES
.TP
.I /etc/okta-radius/okta-radius.toml
The configuration (an annotated reference: every key with its default).
Check it with \fBokta\-radius check\-config \-\-config\fR \fIFILE\fR.
.TP
.I /etc/okta-radius/secrets/
Secret files (Okta API token, State key, RADIUS shared secrets), readable by
root only (mode 0700). The systemd unit hands them to the service with
\fBLoadCredential=\fR and shows them to it at the same paths.
.TP
.I /usr/share/okta-radius/dictionaries/
The RADIUS dictionaries (FreeRADIUS format) a packaged server reads; a binary
outside \fI/usr/bin\fR uses the same set built into it.
\fBserver.dictionaries\fR adds files.
.TP
.I /usr/lib/systemd/system/okta-radius.service
The hardened systemd unit.
.TP
.I /usr/share/doc/okta-radius/README.md
Everything else: second factors, Okta setup, metrics, operations.
.SH ENVIRONMENT
.TP
.B OKTA_RADIUS_CONFIG
The config file, instead of \fB\-\-config\fR.
.TP
.B OKTA_RADIUS__SECTION__KEY
Overrides one config key, e.g. \fBOKTA_RADIUS__SERVER__REJECT_DELAY_MS=500\fR.
.TP
.B RUST_LOG
A log filter that overrides \fBlog.level\fR.
.TP
.BR RADIUS_SECRET ", " RADIUS_PASSWORD
The shared secret and the password for \fBokta\-radius login\fR.
.SH EXIT STATUS
.TP
.B 0
Success.
.TP
.B 1
\fBserve\fR could not start (e.g. its address is taken); \fBlogin\fR got an
Access\-Reject.
.TP
.B 2
The config is invalid (\fBcheck\-config\fR, \fBserve\fR), or a usage error.
.TP
.B 3
\fBcheck\-config \-\-online\fR: the org or a credential check failed;
\fBlogin\fR: no valid reply.
.TP
.B 4
\fBlogin\fR: a challenge was left unanswered.
.SH SIGNALS
\fBSIGHUP\fR re\-reads the config; \fBSIGTERM\fR stops taking requests and
answers the logins in flight; a second \fBSIGTERM\fR stops at once.
"#;

/// Writes `okta-radius.1` and one page per visible subcommand into `dir`;
/// returns the files written.
pub fn write_pages(command: Command, dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let mut written = Vec::new();
    let main_name = command.get_name().to_owned();
    written.push(write_page(&command, dir, MAIN_EXTRA)?);
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let see_also = format!(".SH SEE ALSO\n\\fB{}\\fR(1)\n", roff_escape(&main_name));
        written.push(write_page(sub, dir, &see_also)?);
    }
    Ok(written)
}

/// One page: clap's sections, then `extra` (roff).
fn write_page(command: &Command, dir: &Path, extra: &str) -> io::Result<PathBuf> {
    let man = Man::new(command.clone()).manual("okta-radius");
    let path = dir.join(man.get_filename());
    let mut file = std::fs::File::create(&path)?;
    man.render(&mut file)?;
    file.write_all(extra.as_bytes())?;
    file.flush()?;
    Ok(path)
}

/// A name as roff text: a hyphen is `\-`.
fn roff_escape(text: &str) -> String {
    text.replace('-', "\\-")
}
