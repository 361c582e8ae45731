#!/usr/bin/env bash
# Builds bin/crampd_<version>_<arch>.deb with dpkg-deb alone (no debhelper),
# and prints its path on the last line.
#
#   VERSION        package version (default: from git, see below)
#   GOARCH         target architecture (default amd64)
#   CGO_ENABLED    default 0: a static binary needs no libc dependency
#   DEB_MAINTAINER the control file's Maintainer field
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "build.sh: $*" >&2; exit 1; }
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing; install it with: sudo apt-get install dpkg"

# A Debian version must start with a digit and sort upwards: v1.2.3 gives
# 1.2.3, four commits later 1.2.3+4.g<hash>; with no tag yet,
# 0.0.0+git<commit date>.<hash>. A dirty tree is marked so it is never
# mistaken for a release.
version=${VERSION:-}
if [[ -z $version ]] && ! git rev-parse -q --verify HEAD >/dev/null 2>&1; then
  die "not in a git checkout, so no version to derive: set VERSION"
fi
if [[ -z $version ]]; then
  if desc=$(git describe --tags --match 'v[0-9]*' --dirty=.dirty 2>/dev/null); then
    version=$(sed -E 's/^v//; s/-([0-9]+)-g([0-9a-f]+)/+\1.g\2/' <<<"$desc")
  else
    version="0.0.0+git$(git log -1 --format=%cd --date=format:%Y%m%d).$(git rev-parse --short HEAD)"
    git diff --quiet HEAD -- 2>/dev/null || version+=.dirty
  fi
fi
[[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "version '$version' is not a valid Debian version"

goarch=${GOARCH:-amd64}
case $goarch in
  amd64 | arm64 | riscv64 | ppc64el | s390x) arch=$goarch ;;
  386) arch=i386 ;;
  arm) arch=armhf ;;
  *) die "no Debian architecture for GOARCH=$goarch" ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root

# dpkg-deb takes modes from the tree; pin them instead of trusting the umask.
install -d -m 0755 "$root"/{DEBIAN,usr/bin,usr/lib/systemd/user,usr/lib/systemd/system,usr/share/doc/crampd,usr/share/man/man1} \
  "$root"/usr/share/{bash-completion/completions,zsh/vendor-completions,fish/vendor_completions.d}

# -buildvcs=auto records the commit for `crampd version` even where
# GOFLAGS turns that off.
CGO_ENABLED=${CGO_ENABLED:-0} GOOS=linux GOARCH=$goarch \
  go build -trimpath -buildvcs=auto -ldflags='-s -w' -o "$root/usr/bin/crampd" ./cmd/crampd
chmod 0755 "$root/usr/bin/crampd"

# Both units already run /usr/bin/crampd, where the package puts it.
install -m 0644 deploy/systemd/crampd.service "$root/usr/lib/systemd/user/crampd.service"
install -m 0644 deploy/systemd/system/crampd.service "$root/usr/lib/systemd/system/crampd.service"
install -m 0644 README.md config/example.toml config/reference.toml "$root/usr/share/doc/crampd/"

# The copyright file in Debian's machine-readable format (DEP-5), with the
# license text from LICENSE: one leading space per line, "." for a blank
# line, and LICENSE's own leading blank line dropped.
{
  cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: crampd
Upstream-Contact: ${DEB_MAINTAINER:-crampd maintainers <maintainers@crampd.invalid>}
Source: https://github.com/crampd/crampd
Comment: /usr/bin/crampd is a static Go binary: it also holds the Go
 modules listed in the source's go.mod, each under its own license.

Files: *
Copyright: crampd contributors
License: Apache-2.0

License: Apache-2.0
EOF
  sed -e '/./,$!d' -e 's/^$/./' -e 's/^/ /' LICENSE
} >"$root/usr/share/doc/crampd/copyright"
chmod 0644 "$root/usr/share/doc/crampd/copyright"

# Man pages come from the command tree, like the completions below. They
# are dated by the commit, so that one commit builds one package.
if [[ -z ${SOURCE_DATE_EPOCH:-} ]] && git rev-parse -q --verify HEAD >/dev/null 2>&1; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)
fi
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0} go run ./internal/cli/mangen -version "$version" "$tmp/man"
for page in "$tmp"/man/*.1; do
  gzip -9n <"$page" >"$root/usr/share/man/man1/$(basename "$page").gz"
done
chmod 0644 "$root"/usr/share/man/man1/*.1.gz

# Completions come from the command tree itself, so they never drift from
# the flags. Cross builds cannot run the target binary: use a host build.
gen=$root/usr/bin/crampd
if [[ $goarch != "$(go env GOHOSTARCH)" ]]; then
  gen=$tmp/crampd-host
  go build -o "$gen" ./cmd/crampd
fi
"$gen" completion bash >"$root/usr/share/bash-completion/completions/crampd"
"$gen" completion zsh >"$root/usr/share/zsh/vendor-completions/_crampd"
"$gen" completion fish >"$root/usr/share/fish/vendor_completions.d/crampd.fish"
chmod 0644 "$root"/usr/share/{bash-completion/completions/crampd,zsh/vendor-completions/_crampd,fish/vendor_completions.d/crampd.fish}

depends=procps # the units' ExecReload= runs /bin/kill
if [[ ${CGO_ENABLED:-0} != 0 ]]; then
  depends="libc6 (>= $(dpkg-query -W -f='${Version}' libc6 | sed 's/-[^-]*$//')), $depends"
fi

cat >"$root/DEBIAN/control" <<EOF
Package: crampd
Version: $version
Architecture: $arch
Maintainer: ${DEB_MAINTAINER:-crampd maintainers <maintainers@crampd.invalid>}
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Section: utils
Priority: optional
Homepage: https://github.com/crampd/crampd
Description: reminders that help prevent leg cramps
 crampd reads a TOML profile of your sleep, exercise, climate, medications
 and diet, and reminds you to drink, stretch before bed, eat mineral-rich
 food, take electrolytes after workouts and take your medications. It
 delivers to the desktop, webhooks or ntfy.
 .
 The package ships a systemd user unit (desktop notifications) and a
 sandboxed system unit (webhook and ntfy servers); neither is enabled on
 installation. Start with: crampd init; systemctl --user enable --now crampd
 .
 The reminders are informational and not medical advice.
EOF

# Keep systemd's view of the packaged units current. Units are not enabled
# here: crampd needs a profile first.
cat >"$root/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
EOF
# Stop and disable the system service before its unit disappears, so no
# enablement link dangles. User services belong to their users.
cat >"$root/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	systemctl --system disable --now crampd.service >/dev/null 2>&1 || true
fi
EOF
cat >"$root/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
EOF
chmod 0755 "$root"/DEBIAN/{postinst,prerm,postrm}
chmod 0644 "$root/DEBIAN/control"

mkdir -p bin
deb=bin/crampd_${version}_${arch}.deb
dpkg-deb --build --root-owner-group "$root" "$deb" >/dev/null
echo "$deb"
