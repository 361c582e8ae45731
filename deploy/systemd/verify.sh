#!/usr/bin/env bash
# Checks crampd's systemd units offline, with no running systemd:
#   - `systemd-analyze verify` accepts both units without a single warning;
#   - `systemd-analyze security --offline=true` rates the system unit at
#     most $MAX_EXPOSURE.
# verify insists that ExecStart= names an existing executable, so the units
# are checked as copies that point at a freshly built crampd (or $CRAMPD_BIN).
set -euo pipefail
cd "$(dirname "$0")/../.."

MAX_EXPOSURE=1.5
user_unit=deploy/systemd/crampd.service
system_unit=deploy/systemd/system/crampd.service

die() { echo "verify.sh: $*" >&2; exit 1; }

# need PATH PACKAGE WHY: make sure PATH exists, installing the Debian
# PACKAGE when running as root, as on a fresh CI machine.
need() {
  local path=$1 pkg=$2 why=$3
  [[ -x $path ]] && return
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "verify.sh: installing $pkg for $path ($why)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
    [[ -x $path ]] || die "installed $pkg but $path is still missing"
    return
  fi
  die "$path is missing ($why). Install it with: sudo apt-get install $pkg"
}

analyze=$(command -v systemd-analyze || true)
if [[ -z $analyze ]]; then
  need /usr/bin/systemd-analyze systemd "it checks the units"
  analyze=/usr/bin/systemd-analyze
fi
# verify checks every Exec line, and both units reload with /bin/kill.
need /bin/kill procps "the units' ExecReload= runs it"
# verify also asks man for each man: page in Documentation=.
need /usr/bin/man man-db "systemd-analyze verify looks up the units' man:crampd(1) with it"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bin=${CRAMPD_BIN:-}
if [[ -z $bin ]]; then
  bin=$tmp/bin/crampd
  go build -o "$bin" ./cmd/crampd
fi
[[ -x $bin && $bin == /* ]] || die "CRAMPD_BIN must be an absolute path to an executable, got '$bin'"

# The units name man:crampd(1), which the Debian package installs; verify
# finds it through MANPATH in pages made from this tree.
go run ./internal/cli/mangen "$tmp/man/man1" >/dev/null
export MANPATH=$tmp/man

# copy UNIT NAME: the unit as NAME under $tmp/NAME-dir, running $bin. The
# file keeps the name crampd.service, which systemd-analyze reports on.
copy() {
  mkdir -p "$tmp/$2"
  sed "s#^ExecStart=/usr/bin/crampd\\b#ExecStart=$bin#" "$1" >"$tmp/$2/crampd.service"
  grep -q "^ExecStart=$bin " "$tmp/$2/crampd.service" || die "$1 has no ExecStart=/usr/bin/crampd line to check"
  echo "$tmp/$2/crampd.service"
}

failed=0
# check LABEL CMD...: CMD must succeed and print nothing; systemd-analyze
# verify reports most mistakes as warnings with exit status 0.
check() {
  local label=$1; shift
  local out
  if out=$("$@" 2>&1) && [[ -z $out ]]; then
    echo "ok   $label"
  else
    echo "FAIL $label"; printf '%s\n' "$out" | sed 's/^/     /'
    failed=1
  fi
}

echo "--- systemd-analyze verify ($("$analyze" --version | head -1))"
user_copy=$(copy "$user_unit" user)
system_copy=$(copy "$system_unit" system)
# The user manager needs a runtime directory even to verify offline.
mkdir -m 0700 "$tmp/runtime"
check "$user_unit" env XDG_RUNTIME_DIR="$tmp/runtime" "$analyze" --user verify "$user_copy"
check "$system_unit" "$analyze" verify "$system_copy"

echo "--- systemd-analyze security --offline=true (system unit, at most $MAX_EXPOSURE)"
report=$("$analyze" security --offline=true "$system_copy" 2>&1) || true
score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$report")
[[ -n $score ]] || { printf '%s\n' "$report"; die "no overall exposure level in systemd-analyze's report"; }
# Every setting that still costs exposure, so a regression says which one.
grep '✗' <<<"$report" | sed 's/  */ /g; s/^/     /' || true
if awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }'; then
  echo "ok   $system_unit: exposure $score"
else
  echo "FAIL $system_unit: exposure $score is above $MAX_EXPOSURE"
  failed=1
fi
# The unit's header states the score; keep it honest.
claimed=$(sed -n 's/.*rates this unit \([0-9.]*\).*/\1/p' "$system_unit" | head -1)
if [[ $claimed != "$score" ]]; then
  echo "note $system_unit says it rates $claimed, this systemd rates it $score: update the comment if this is the reference systemd (252)"
fi

user_score=$(XDG_RUNTIME_DIR="$tmp/runtime" "$analyze" --user security --offline=true "$user_copy" 2>&1 |
  sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
echo "info $user_unit: exposure ${user_score:-unknown} (not gated: a user unit cannot use the namespace sandbox)"

exit "$failed"
