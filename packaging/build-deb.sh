#!/usr/bin/env bash
# Builds the Debian package into target/debian/okta-radius_<version>-1_<arch>.deb
# and prints its path.
#
# The machine needs only the Rust toolchain: cargo-deb is installed from
# crates.io when it is missing. The binary is built once (the `release`
# profile, or the one DEB_PROFILE names: CI packages its `ci` build); it then
# writes its own man pages and shell completions (so they match its --help),
# and cargo-deb packages it without building again.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DEB_VERSION=3.8.0
if ! cargo deb --version 2>/dev/null | grep -qF "$CARGO_DEB_VERSION"; then
    echo "build-deb.sh: installing cargo-deb $CARGO_DEB_VERSION" >&2
    cargo install cargo-deb --version "$CARGO_DEB_VERSION" --locked --quiet
fi

profile="${DEB_PROFILE:-release}"
case "$profile" in
    release | ci) ;;
    *)
        echo "build-deb.sh: DEB_PROFILE=$profile is not a profile to package; use release (the default) or ci" >&2
        exit 1
        ;;
esac
cargo build --profile "$profile" --locked -p okta-radius
binary="${CARGO_TARGET_DIR:-target}/$profile/okta-radius"

generated=target/packaging
rm -rf "$generated"
mkdir -p "$generated/man" "$generated/completions"
"$binary" manual --out "$generated/man" >/dev/null
"$binary" completions bash >"$generated/completions/okta-radius.bash"
"$binary" completions zsh >"$generated/completions/_okta-radius"
"$binary" completions fish >"$generated/completions/okta-radius.fish"

cargo deb --no-build --profile "$profile" --locked -p okta-radius --quiet
