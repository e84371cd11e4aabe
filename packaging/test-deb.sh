#!/usr/bin/env bash
# The Debian package as an operator meets it, on this machine (as root):
# `dpkg -i`, what it installed and where, the unit enabled and not started
# while the config lacks its secrets, the installed `check-config` on the
# installed config (refused, then passed once the secrets are written), the
# installed `demo` answering radclient and `okta-radius login`, then
# `dpkg -r` (the conffile and secrets stay), `dpkg -P` (nothing of the
# package is left: the file tree is as it was before the install).
#
#   packaging/test-deb.sh [target/debian/okta-radius_<version>_<arch>.deb]
set -euo pipefail
cd "$(dirname "$0")/.."

deb="${1:-$(ls -1t "${CARGO_TARGET_DIR:-target}"/debian/okta-radius_*.deb 2>/dev/null | head -n 1)}"
if [ -z "$deb" ] || [ ! -f "$deb" ]; then
    echo "test-deb.sh: no package; build one with packaging/build-deb.sh" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "test-deb.sh: dpkg -i needs root; run it as root (CI does)" >&2
    exit 1
fi
if dpkg-query -W okta-radius >/dev/null 2>&1; then
    echo "test-deb.sh: okta-radius is already installed here; remove it first" >&2
    exit 1
fi

work="$(mktemp -d)"
demo_pid=""
passed=0
cleanup() {
    if [ -n "$demo_pid" ]; then kill "$demo_pid" 2>/dev/null || true; fi
    if dpkg-query -W okta-radius >/dev/null 2>&1; then dpkg -P okta-radius >/dev/null 2>&1 || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

ok() {
    passed=$((passed + 1))
    echo "ok $passed - $1"
}
fail() {
    echo "not ok - $1" >&2
    if [ -n "${2:-}" ]; then sed 's/^/    /' "$2" >&2; fi
    echo "package: $passed passed, 1 failed"
    exit 1
}

# The file tree dpkg and the maintainer scripts may touch.
tree() {
    find /etc /usr /opt /srv /var/lib/systemd /var/lib/dpkg/info -xdev 2>/dev/null | LC_ALL=C sort
}
tree >"$work/before"

# --- install -----------------------------------------------------------------
dpkg -i "$deb" >"$work/install" 2>&1 || fail "dpkg -i $deb" "$work/install"
ok "dpkg -i installs the package"

/usr/bin/okta-radius --version >"$work/version" 2>&1 || fail "okta-radius --version" "$work/version"
ok "/usr/bin/okta-radius runs: $(cat "$work/version")"

config=/etc/okta-radius/okta-radius.toml
dpkg-query -W -f='${Conffiles}\n' okta-radius | grep -q " $config " \
    || fail "$config is a conffile"
ok "$config is a conffile"
if grep -nE '^[[:space:]]*(secret|api_token|key|password)[[:space:]]*=' "$config" >"$work/inline"; then
    fail "the installed config holds no secret" "$work/inline"
fi
ok "the installed config holds no secret (only _file sources)"

[ "$(stat -c '%a %U' /etc/okta-radius/secrets)" = "700 root" ] \
    || fail "/etc/okta-radius/secrets is mode 0700, owned by root"
ok "/etc/okta-radius/secrets is mode 0700, owned by root"

[ -f /usr/share/okta-radius/dictionaries/dictionary ] || fail "the dictionaries are installed"
ok "the dictionaries are in /usr/share/okta-radius/dictionaries"

unit=/usr/lib/systemd/system/okta-radius.service
[ -f "$unit" ] || fail "the unit is installed at $unit"
[ -L /etc/systemd/system/multi-user.target.wants/okta-radius.service ] \
    || fail "the unit is enabled (multi-user.target.wants)"
ok "the unit is installed and enabled"
grep -q "not started" "$work/install" && grep -q "secrets/okta-api-token" "$work/install" \
    || fail "the install says the service is not started and which secret is missing" "$work/install"
ok "dpkg -i says the service is not started until check-config passes"

for exe in $(sed -n 's/^Exec[A-Za-z]*=\([^ ]*\).*/\1/p' "$unit"); do
    [ -x "$exe" ] || fail "the unit's command $exe exists"
done
for doc in $(sed -n 's/^Documentation=//p' "$unit"); do
    case "$doc" in
        file://*) [ -f "${doc#file://}" ] || fail "Documentation=$doc is installed" ;;
        man:*)
            page="${doc#man:}"
            name="${page%%(*}"
            section="${page#*(}"
            section="${section%)}"
            [ -f "/usr/share/man/man$section/$name.$section.gz" ] || fail "Documentation=$doc is installed"
            ;;
        *) fail "Documentation=$doc is a file or a man page" ;;
    esac
done
ok "the unit's commands and every Documentation= entry are installed"
if command -v systemd-analyze >/dev/null 2>&1; then
    systemd-analyze verify "$unit" >"$work/verify" 2>&1 || fail "systemd-analyze verify $unit" "$work/verify"
    if grep -q "okta-radius.service" "$work/verify"; then
        fail "systemd-analyze verify has nothing to say about the unit" "$work/verify"
    fi
    ok "systemd-analyze verify accepts the unit"
fi

for page in okta-radius okta-radius-login okta-radius-serve okta-radius-check-config; do
    [ -f "/usr/share/man/man1/$page.1.gz" ] || fail "man page $page(1)"
done
gzip -dc /usr/share/man/man1/okta-radius.1.gz | grep -q '^\.SH FILES' || fail "okta-radius(1) has FILES"
ok "the man pages are installed (okta-radius(1) with FILES, one per subcommand)"
bash -c 'source /usr/share/bash-completion/completions/okta-radius && complete -p okta-radius' \
    >"$work/complete" 2>&1 || fail "bash completion loads" "$work/complete"
[ -f /usr/share/zsh/vendor-completions/_okta-radius ] && [ -f /usr/share/fish/vendor_completions.d/okta-radius.fish ] \
    || fail "zsh and fish completions"
ok "shell completions for bash, zsh and fish are installed"

# --- check-config, as the operator runs it ----------------------------------
status=0
okta-radius check-config --config "$config" >"$work/check" 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "check-config refuses the config without its secrets (exit 2, got $status)" "$work/check"
grep -q "okta.api_token" "$work/check" || fail "check-config names the missing API token" "$work/check"
ok "the installed check-config refuses the installed config until the secrets exist (exit 2)"

(
    umask 077
    printf '%s' 'an-api-token-for-the-package-test' >/etc/okta-radius/secrets/okta-api-token
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >/etc/okta-radius/secrets/state-key
    printf '%s' 'a-shared-secret-for-the-vpn-nas' >/etc/okta-radius/secrets/radius-secret-vpn
)
okta-radius check-config --config "$config" >"$work/check" 2>&1 || fail "check-config passes with the secrets" "$work/check"
grep -q "valid (1 client, 1 listener)" "$work/check" || fail "check-config says valid" "$work/check"
grep -q "dictionaries: /usr/share/okta-radius/dictionaries" "$work/check" \
    || fail "the installed binary reads the installed dictionaries" "$work/check"
ok "the installed check-config passes once the secrets are written, reading /usr/share/okta-radius/dictionaries"

# --- the installed demo, with radclient and okta-radius login ---------------
radius=127.0.0.1:21812
/usr/bin/okta-radius demo --listen "$radius" --metrics 127.0.0.1:29812 >"$work/demo.out" 2>"$work/demo.err" &
demo_pid=$!
for _ in $(seq 1 100); do
    if grep -q "RADIUS authentication listener ready" "$work/demo.err"; then break; fi
    kill -0 "$demo_pid" 2>/dev/null || fail "the installed demo starts" "$work/demo.err"
    sleep 0.1
done
grep -q "RADIUS authentication listener ready" "$work/demo.err" || fail "the installed demo listens" "$work/demo.err"
grep -q "dictionaries loaded.*/usr/share/okta-radius/dictionaries" "$work/demo.err" \
    || fail "the demo reads the installed dictionaries" "$work/demo.err"
ok "the installed demo listens on $radius"

echo 'User-Name = "alice", User-Password = "alice-password", NAS-Identifier = "package-test", Message-Authenticator = 0x00' \
    | radclient -x -r 1 -t 5 "$radius" auth testing123 >"$work/radclient" 2>&1 \
    || fail "radclient logs alice in" "$work/radclient"
grep -q "Received Access-Accept" "$work/radclient" || fail "radclient gets Access-Accept" "$work/radclient"
ok "radclient: alice gets Access-Accept from the installed demo"

RADIUS_SECRET=testing123 RADIUS_PASSWORD=alice-password \
    /usr/bin/okta-radius login "$radius" alice </dev/null >"$work/login" 2>&1 \
    || fail "okta-radius login logs alice in" "$work/login"
grep -q "Access-Accept: alice is logged in" "$work/login" || fail "okta-radius login says so" "$work/login"
ok "okta-radius login: alice gets Access-Accept from the installed demo"

kill "$demo_pid"
wait "$demo_pid" 2>/dev/null || true
demo_pid=""

# --- remove, then purge -------------------------------------------------------
dpkg -r okta-radius >"$work/remove" 2>&1 || fail "dpkg -r" "$work/remove"
[ ! -e /usr/bin/okta-radius ] && [ ! -e "$unit" ] && [ ! -e /usr/share/okta-radius ] \
    || fail "dpkg -r removes the program, the unit and the shared files"
[ -f "$config" ] && [ -f /etc/okta-radius/secrets/okta-api-token ] \
    || fail "dpkg -r keeps the config and the secrets"
ok "dpkg -r removes the package and keeps the config and the secrets"

dpkg -P okta-radius >"$work/purge" 2>&1 || fail "dpkg -P" "$work/purge"
[ ! -e /etc/okta-radius ] || fail "dpkg -P removes /etc/okta-radius with the secrets"
tree >"$work/after"
if ! diff "$work/before" "$work/after" >"$work/diff"; then
    fail "after dpkg -P the file tree is as before the install" "$work/diff"
fi
ok "dpkg -P leaves no file behind (/etc, /usr, /var/lib/systemd, dpkg's info as before)"

echo "package: $passed passed, 0 failed"
