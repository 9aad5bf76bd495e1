#!/usr/bin/env bash
# Imports the real .socket units of testdata/units/real from Debian packages: Debian 12
# "bookworm" (systemd 252, the oracle's own release) and Debian 13 "trixie" (units written for
# systemd 257, which 252 must still judge). Each distinct unit text is kept once, under
# SUITE/PACKAGE/[user/]NAME.socket; MANIFEST lists every package, version and original path it
# was found at. Afterwards run `go run ./testdata/gen units` (services) and
# `go run ./testdata/gen golden` (expected diagnostics).
#
# Usage, from the repository root, as root: testdata/units/real/import.sh WORKDIR
# WORKDIR keeps the downloaded packages (and trixie's apt lists) between runs.
set -euo pipefail
work=$(realpath -m "${1:?usage: testdata/units/real/import.sh WORKDIR}")
out=testdata/units/real
[ -d "$out" ] || { echo "run from the repository root" >&2; exit 2; }

# The packages of each suite that ship .socket units (found by downloading candidates and
# listing their contents with dpkg-deb -c).
bookworm="acpid approx atftpd avahi-daemon clamav-daemon cockpit-ws cups-daemon dbus-system-bus-common
dbus-user-session dirmngr dmeventd docker.io dovecot-core erlang-base fcgiwrap foot gcr gnome-keyring
gnupg gpg-agent gpsd leafnode libvirt-daemon-system lighttpd lirc lvm2 mariadb-server micro-httpd mpd
multipath-tools nix-setup-systemd nsd oidentd open-iscsi openssh-server packagekit pcscd pipewire
pipewire-pulse podman proftpd-core pulseaudio rpcbind sane-utils snapd spice-vdagent sssd-common
sssd-kcm systemd systemd-coredump systemd-journal-remote systemd-oomd systemd-userdbd tang
targetcli-fb tinysshd triggerhappy udev uucp uuid-runtime uwsgi-core xpra"
trixie="acpid approx avahi-daemon beanstalkd clamav-daemon cockpit-ws cups-daemon dbus-system-bus-common
dbus-user-session dirmngr dmeventd docker.io dovecot-core erlang-base fcgiwrap foot gcr4 gnome-keyring
gpg-agent gpsd incus-base libvirt-daemon libvirt-daemon-lock libvirt-daemon-log lighttpd lirc lvm2
mariadb-server micro-httpd mpd multipath-tools nix-setup-systemd oidentd open-iscsi openssh-client
openssh-server packagekit pcscd pipewire pipewire-pulse podman proftpd-core pulseaudio rpcbind sane-utils
snapd spice-vdagent sssd-common systemd systemd-boot systemd-container systemd-coredump
systemd-journal-remote systemd-oomd systemd-userdbd tang targetcli-fb tinysshd triggerhappy udev uucp
uuid-runtime uwsgi-core"

mkdir -p "$work/bookworm" "$work/trixie/lists/partial" "$work/trixie/cache/archives/partial"
echo "deb http://deb.debian.org/debian trixie main" > "$work/trixie/sources.list"
trixie_apt=(-o Dir::Etc::SourceList="$work/trixie/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o Dir::State::Lists="$work/trixie/lists" -o Dir::Cache="$work/trixie/cache")
apt-get update -qq
apt-get "${trixie_apt[@]}" update -qq
(cd "$work/bookworm" && apt-get download -q $bookworm)
(cd "$work/trixie" && apt-get "${trixie_apt[@]}" download -q $trixie)

rm -rf "$out"/bookworm "$out"/trixie
manifest="$out/MANIFEST"
printf '# unit\tsuite\tpackage\tversion\toriginal path\n' > "$manifest"
declare -A seen
for suite in bookworm trixie; do
  for deb in "$work/$suite"/*.deb; do
    pkg=$(dpkg-deb -f "$deb" Package); ver=$(dpkg-deb -f "$deb" Version)
    files=$(dpkg-deb -c "$deb" | grep -E '^-.*\.socket$' | awk '{print $6}') || continue
    tmp=$(mktemp -d); dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" $files
    for f in $files; do
      orig=${f#.}; sum=$(sha256sum < "$tmp/$f" | cut -c1-16)
      if [ -n "${seen[$sum]:-}" ]; then
        printf '%s\t%s\t%s\t%s\t%s\n' "${seen[$sum]}" "$suite" "$pkg" "$ver" "$orig" >> "$manifest"
        continue
      fi
      sub=""; case "$orig" in */systemd/user/*) sub=user/ ;; esac
      dest="$suite/$pkg/$sub$(basename "$orig")"
      mkdir -p "$out/$(dirname "$dest")"; cp "$tmp/$f" "$out/$dest"
      seen[$sum]=$dest
      printf '%s\t%s\t%s\t%s\t%s\n' "$dest" "$suite" "$pkg" "$ver" "$orig" >> "$manifest"
    done
    rm -rf "$tmp"
  done
done
echo "import: $(ls -R "$out" | grep -c '\.socket$') units"
