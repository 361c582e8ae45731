#!/usr/bin/env bash
# Checks a crampd .deb without installing it: every expected path is in
# `dpkg-deb -c` with the right mode and root ownership, `dpkg-deb -I` has a
# complete control file, and the payload matches the source tree.
#
#   deploy/deb/check.sh bin/crampd_<version>_amd64.deb
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "check.sh: $*" >&2; exit 1; }
deb=${1:?usage: check.sh PACKAGE.deb}
[[ -f $deb ]] || die "$deb does not exist"

failed=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; failed=1; }

echo "--- dpkg-deb -c $deb"
listing=$(dpkg-deb -c "$deb")
# path mode: what the package must hold, as dpkg-deb -c prints it.
expected=(
  "./usr/bin/crampd -rwxr-xr-x"
  "./usr/lib/systemd/user/crampd.service -rw-r--r--"
  "./usr/lib/systemd/system/crampd.service -rw-r--r--"
  "./usr/share/doc/crampd/README.md -rw-r--r--"
  "./usr/share/doc/crampd/example.toml -rw-r--r--"
  "./usr/share/doc/crampd/reference.toml -rw-r--r--"
  "./usr/share/doc/crampd/copyright -rw-r--r--"
  "./usr/share/man/man1/crampd.1.gz -rw-r--r--"
  "./usr/share/man/man1/crampd-plan.1.gz -rw-r--r--"
  "./usr/share/man/man1/crampd-cramp-log.1.gz -rw-r--r--"
  "./usr/share/bash-completion/completions/crampd -rw-r--r--"
  "./usr/share/zsh/vendor-completions/_crampd -rw-r--r--"
  "./usr/share/fish/vendor_completions.d/crampd.fish -rw-r--r--"
)
for e in "${expected[@]}"; do
  path=${e% *} mode=${e#* }
  line=$(awk -v p="$path" '$6 == p' <<<"$listing")
  if [[ -z $line ]]; then
    bad "$path is missing"
  elif [[ $(awk '{print $1, $2}' <<<"$line") != "$mode root/root" ]]; then
    bad "$path: $(awk '{print $1, $2}' <<<"$line"), want $mode root/root"
  else
    ok "$path"
  fi
done
# --root-owner-group: a build user's UID must not leak into the system.
if others=$(awk '$2 != "root/root"' <<<"$listing") && [[ -n $others ]]; then
  bad "entries not owned by root/root:"; printf '     %s\n' "$others"
fi

echo "--- dpkg-deb -I $deb"
for field in Package Version Architecture Maintainer Installed-Size Depends Description; do
  value=$(dpkg-deb -f "$deb" "$field")
  [[ -n $value ]] && ok "$field: ${value%%$'\n'*}" || bad "control has no $field"
done
[[ $(dpkg-deb -f "$deb" Package) == crampd ]] || bad "Package is not crampd"
info=$(dpkg-deb -I "$deb")
for script in postinst prerm postrm; do
  grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +\* +$script " <<<"$info" && ok "$script (executable)" || bad "no executable $script"
done

echo "--- payload"
x=$(mktemp -d)
trap 'rm -rf "$x"' EXIT
dpkg-deb -x "$deb" "$x"
same() { cmp -s "$1" "$2" && ok "${2#"$x"/} is $1" || bad "${2#"$x"/} differs from $1"; }
same deploy/systemd/crampd.service "$x/usr/lib/systemd/user/crampd.service"
same deploy/systemd/system/crampd.service "$x/usr/lib/systemd/system/crampd.service"
same README.md "$x/usr/share/doc/crampd/README.md"
same config/example.toml "$x/usr/share/doc/crampd/example.toml"
same config/reference.toml "$x/usr/share/doc/crampd/reference.toml"
# The copyright file: the DEP-5 header, every file under Apache-2.0, and
# that license's text exactly as LICENSE has it.
copyright=$x/usr/share/doc/crampd/copyright
head -1 "$copyright" | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' &&
  ok "copyright is machine-readable (DEP-5)" || bad "copyright does not start with the DEP-5 Format: line"
awk 'BEGIN { RS = "" } /(^|\n)Files: \*\n/ && /\nCopyright: [^\n]/ && /\nLicense: Apache-2.0(\n|$)/ { found = 1 } END { exit !found }' "$copyright" &&
  ok "copyright: Files: * is Apache-2.0" || bad "copyright has no Files: * paragraph with a Copyright: and License: Apache-2.0"
# The stand-alone License: paragraph is the last; its lines after the
# first are the text.
license_text=$(awk 'BEGIN { RS = "" } END { print }' "$copyright" | sed -e '1d' -e 's/^ //' -e 's/^\.$//')
if awk 'BEGIN { RS = "" } END { exit $0 !~ /^License: Apache-2.0\n/ }' "$copyright" &&
  [[ $license_text == "$(sed '/./,$!d' LICENSE)" ]]; then
  ok "copyright holds the text of LICENSE"
else
  bad "copyright's last paragraph is not License: Apache-2.0 with the text of LICENSE"
fi
# Man pages: gzipped troff for crampd and each subcommand.
for page in crampd crampd-plan crampd-cramp-log; do
  title=$(tr 'a-z' 'A-Z' <<<"$page")
  f=$x/usr/share/man/man1/$page.1.gz
  if gzip -t "$f" 2>/dev/null && zcat "$f" | grep -qF ".TH \"$title\" \"1\""; then
    ok "man page $page(1)"
  else
    bad "man page $page(1) is not a gzipped troff page titled $title"
  fi
done
zcat "$x/usr/share/man/man1/crampd-plan.1.gz" | grep -qF -- '--no-alarms' &&
  ok "crampd-plan(1) has the plan command's flags" || bad "crampd-plan(1) lacks --no-alarms"
if command -v man >/dev/null; then
  MANPATH=$x/usr/share/man man -w 'crampd(1)' >/dev/null 2>&1 && ok "man finds crampd(1)" || bad "man cannot find crampd(1) in the package"
fi
for u in user system; do
  grep -q '^ExecStart=/usr/bin/crampd run' "$x/usr/lib/systemd/$u/crampd.service" &&
    ok "$u unit runs /usr/bin/crampd" || bad "$u unit does not run /usr/bin/crampd"
done
# Each completion script must be the real thing for its shell, not an
# error message captured into the file.
head -1 "$x/usr/share/zsh/vendor-completions/_crampd" | grep -q '^#compdef crampd' &&
  ok "zsh completion" || bad "zsh completion does not start with #compdef crampd"
grep -q 'complete -o default -F __start_crampd crampd' "$x/usr/share/bash-completion/completions/crampd" &&
  ok "bash completion" || bad "bash completion does not register crampd"
grep -q '^complete -c crampd ' "$x/usr/share/fish/vendor_completions.d/crampd.fish" &&
  ok "fish completion" || bad "fish completion does not complete crampd"
if [[ $(dpkg-deb -f "$deb" Architecture) == "$(dpkg --print-architecture)" ]]; then
  "$x/usr/bin/crampd" --help >/dev/null && ok "usr/bin/crampd --help runs" || bad "usr/bin/crampd --help fails"
fi

exit "$failed"
