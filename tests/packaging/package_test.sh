#!/usr/bin/env bash
# The packages as users get them. Builds both (scripts/package.sh) and checks them with lintian
# and rpmlint (anything not justified in packaging/ fails). Then, on this machine, as root:
# installs the .deb, checks every file's owner and mode, the drover user and its groups,
# `drover check` on the default config and `systemd-analyze verify` on the unit; upgrades to a
# build with a higher release after editing the conffile (the edit survives, nothing prompts);
# removes, then purges, checking what stays and what goes. The .rpm's files, requirements and
# scripts are checked, and it is installed into a scratch root.
#
# It installs into this machine's /usr, /etc and /var/lib, so it runs only as root on a
# machine that is disposable (CI's), and never where drover is already installed.
set -euo pipefail
cd "$(dirname "$0")/../.."

fail() {
  echo "package test: FAIL: $*" >&2
  exit 1
}
ok() { echo "package test: ok: $*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "package test: SKIPPED: it installs drover on this machine, which needs root"
  exit 0
fi
if dpkg-query -W -f='${Status}' drover 2>/dev/null | grep -q installed; then
  echo "package test: SKIPPED: drover is installed here already; the test will not touch it"
  exit 0
fi

log=$(mktemp)
scripts/package.sh >"$log" 2>&1 || fail "scripts/package.sh: $(cat "$log")"
deb=$(ls build/release/drover_*-1_amd64.deb)
rpm=$(ls build/release/drover-*-1.x86_64.rpm)
version=$(sed -n 's/^project(drover VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ "$deb" = "build/release/drover_${version}-1_amd64.deb" ] || fail "the .deb is $deb"
[ "$rpm" = "build/release/drover-${version}-1.x86_64.rpm" ] || fail "the .rpm is $rpm"
ok "built $deb and $rpm"

# The same build packaged again with a higher release: what an upgrade installs.
rm -f build/release/drover_*-2_amd64.deb
(cd build/release && cpack -G DEB -D CPACK_DEBIAN_PACKAGE_RELEASE=2 >"$log" 2>&1) ||
  fail "cpack with release 2: $(cat "$log")"

deb2="build/release/drover_${version}-2_amd64.deb"
[ -f "$deb2" ] || fail "no $deb2"

# lintian warns about running as root on stderr; its findings go to stdout.
if ! findings=$(lintian --fail-on error,warning --tag-display-limit 0 "$deb" 2>/dev/null); then
  fail "lintian: ${findings:-it failed}"
fi
[ -z "$findings" ] || fail "lintian: $findings"
ok "lintian: nothing to say"
if ! findings=$(rpmlint -c packaging/rpm/rpmlint.toml "$rpm" 2>&1); then
  fail "rpmlint: $findings"
fi
grep -q " 0 errors, 0 warnings" <<<"$findings" || fail "rpmlint: $findings"
ok "rpmlint: 0 errors, 0 warnings"

# --- The .rpm, read and installed into a scratch root -------------------------------------
scratch=$(mktemp -d)
cleanup() {
  dpkg -P drover >/dev/null 2>&1 || true
  rm -rf "$scratch" "$log"
}
trap cleanup EXIT

expect_lines() {  # what, the text, then each line it must hold
  local what="$1" text="$2"
  shift 2
  for line in "$@"; do
    grep -qxF -- "$line" <<<"$text" || fail "$what lacks '$line'; it has:"$'\n'"$text"
  done
}
expect_lines "rpm -qlp" "$(rpm -qlp "$rpm")" /usr/bin/drover /etc/drover/drover.toml \
  /usr/lib/systemd/system/drover.service /usr/share/man/man1/drover.1.gz \
  /usr/share/man/man5/drover.toml.5.gz /usr/share/doc/drover/README.md \
  /usr/share/doc/drover/copyright /usr/share/doc/drover/examples/drover.toml
# c: a config file; n: noreplace (an edited one is kept on upgrade, the new one saved beside it)
expect_lines "the .rpm's file flags" "$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm")" \
  "cn /etc/drover/drover.toml"
expect_lines "rpm -qp --requires" "$(rpm -qp --requires "$rpm")" "librdkafka.so.1()(64bit)" \
  "libsystemd.so.0()(64bit)" "libsimdjson.so.14()(64bit)" "libssl.so.3()(64bit)" shadow-utils
scripts_text=$(rpm -qp --scripts "$rpm")
for needle in "useradd -r -g drover" "usermod -a -G" "systemctl --no-reload preset drover.service" \
  "systemctl --no-reload disable --now drover.service" "systemctl try-restart drover.service"; do
  grep -qF -- "$needle" <<<"$scripts_text" || fail "the .rpm's scripts lack '$needle'"
done
[ "$(rpm -qp --changelog "$rpm" | head -1)" = "$(rpm -qp --changelog "$rpm" | grep -m1 '^\*')" ] ||
  fail "the .rpm has no changelog"
# No scripts (they need the scratch root's own shell and users) and no dependency check (its
# rpm database is empty): this proves where the files land.
rpm --root "$scratch" --initdb
rpm --root "$scratch" -i --nodeps --noscripts "$rpm" 2>"$log" || fail "rpm -i: $(cat "$log")"
[ -x "$scratch/usr/bin/drover" ] || fail "rpm -i --root put no /usr/bin/drover"
[ -f "$scratch/etc/drover/drover.toml" ] || fail "rpm -i --root put no /etc/drover/drover.toml"
ok "the .rpm: files, config file, requirements, scripts, changelog; installs into a scratch root"

# --- The .deb on this machine ----------------------------------------------------------------
expect_file() {  # path, owner:group, octal mode
  local found
  found=$(stat -c '%U:%G %a' "$1" 2>/dev/null) || fail "$1 is missing"
  [ "$found" = "$2 $3" ] || fail "$1 is $found, expected $2 $3"
}
# A drover user without the package is an earlier run's (purge keeps it): the install must be
# seen creating it and its groups.
if getent passwd drover >/dev/null; then
  deluser --system --quiet drover >/dev/null 2>&1 || fail "cannot delete an earlier run's drover user"
fi
getent group drover >/dev/null && { delgroup --system --quiet drover >/dev/null 2>&1 || true; }
DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "$PWD/$deb" </dev/null \
  >"$log" 2>&1 || fail "apt-get install $deb: $(cat "$log")"
[ "$(dpkg-query -W -f='${Version}' drover)" = "${version}-1" ] || fail "installed version"
expect_file /usr/bin/drover root:root 755
expect_file /etc/drover/drover.toml root:root 644
expect_file /usr/lib/systemd/system/drover.service root:root 644
expect_file /usr/share/man/man1/drover.1.gz root:root 644
expect_file /usr/share/man/man5/drover.toml.5.gz root:root 644
expect_file /usr/share/doc/drover/copyright root:root 644
expect_file /usr/share/doc/drover/changelog.Debian.gz root:root 644
expect_file /usr/share/doc/drover/README.md root:root 644
expect_file /usr/share/doc/drover/examples/drover.toml root:root 644
expect_file /var/lib/drover drover:drover 750
expect_lines "the conffiles" "$(dpkg-query -W -f='${Conffiles}\n' drover | awk 'NF {print $1}')" \
  /etc/drover/drover.toml
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd drover) || fail "no drover user"
((uid < 1000)) || fail "drover's uid $uid is not a system user's"
[ "$home" = /var/lib/drover ] || fail "drover's home is $home"
[[ "$shell" == */nologin || "$shell" == /bin/false ]] || fail "drover's shell is $shell"
groups=" $(id -nG drover) "
for group in drover adm systemd-journal; do
  if getent group "$group" >/dev/null; then
    [[ "$groups" == *" $group "* ]] || fail "drover is not in $group (it is in$groups)"
  fi
done
runuser -u drover -- drover check --config /etc/drover/drover.toml >/dev/null ||
  fail "drover check on the installed config"
drover --version | grep -qF "$version" || fail "drover --version: $(drover --version)"
systemd-analyze verify /usr/lib/systemd/system/drover.service || fail "systemd-analyze verify"
# Enabled (deb-systemd-helper), but not started: the config must name real brokers first.
wants=/etc/systemd/system/multi-user.target.wants/drover.service
[ -L "$wants" ] || fail "drover.service is not enabled ($wants)"
ok "the .deb installed: files, owners and modes, the drover user (groups:$groups), drover check,"\
" the unit verified and enabled"

# Upgrade after the admin edited the conffile: the edit stays and dpkg asks nothing (stdin is
# closed and a prompt would fail the install).
echo "# edited by the package test" >>/etc/drover/drover.toml
install -d -o drover -g drover /var/lib/drover/checkpoints
echo '{}' >/var/lib/drover/checkpoints/kept.json
timeout 300 dpkg -i "$deb2" </dev/null >/dev/null || fail "the upgrade to $deb2"
[ "$(dpkg-query -W -f='${Version}' drover)" = "${version}-2" ] || fail "upgraded version"
grep -qx "# edited by the package test" /etc/drover/drover.toml || fail "the edit did not survive"
ls /etc/drover/drover.toml.dpkg-* 2>/dev/null && fail "dpkg left a copy of the conffile"
[ -f /var/lib/drover/checkpoints/kept.json ] || fail "the upgrade lost /var/lib/drover"
ok "upgraded to ${version}-2: the edited conffile and the state stay"

dpkg -r drover </dev/null >/dev/null || fail "dpkg -r"
[ ! -e /usr/bin/drover ] || fail "remove left /usr/bin/drover"
[ -f /etc/drover/drover.toml ] || fail "remove took the conffile"
[ -f /var/lib/drover/checkpoints/kept.json ] || fail "remove took /var/lib/drover"
getent passwd drover >/dev/null || fail "remove took the drover user"
ok "removed: the binary goes; the config, the state and the user stay"

dpkg -P drover </dev/null >/dev/null || fail "dpkg -P"
[ ! -e /var/lib/drover ] || fail "purge left /var/lib/drover"
[ ! -e /etc/drover ] || fail "purge left /etc/drover"
[ ! -e "$wants" ] || fail "purge left drover.service enabled"
getent passwd drover >/dev/null || fail "purge took the drover user (Debian keeps system users)"
ok "purged: the config and the state go; the system user stays, as Debian keeps them"
