#!/usr/bin/env bash
# Builds the snapd tools the tests and benchmarks run against, from Debian bookworm's own snapd
# source package with Debian's Go toolchain and packaged Go libraries (no Go module proxy):
#
#   snap-testkeys    snapd's `snap` CLI built with the `withtestkeys` tag: besides Canonical's root it
#                    trusts snapd's public test root (`testrootorg`, asserts/systestkeys), so
#                    `snap-testkeys download NAME` walks a whole assertion chain signed with the test
#                    keys in test/fixtures/snapd-test-keys (test/e2e/snap-download.test.ts)
#   fakestore        snapd's reference fake store (tests/lib/fakestore), which bench/snapstore compares with
#   testkeys-export  writes snapd's public test keys and their assertions into a directory (where
#                    test/fixtures/snapd-test-keys came from)
#
# Output: $SNAPD_TESTKEYS_DIR/bin (default ~/.cache/snapd-testkeys/bin: one fixed place, so every
# checkout on the machine shares one build). Needs root for apt-get; takes a minute or two the first
# time, and returns at once when the tools are already built from the same source and script.
# Knobs: SNAPD_TESTKEYS_DIR, SNAPD_DEB_VERSION, VERBOSE=1; SNAPD_TESTKEYS_CHECK_ONLY=1 only answers
# (exit 0 or 1) whether the tools are built.
set -euo pipefail

OUT=${SNAPD_TESTKEYS_DIR:-$HOME/.cache/snapd-testkeys}
SNAPD_DEB_VERSION=${SNAPD_DEB_VERSION:-2.57.6-1+deb12u1}
# Bumped when the build steps change, so an older build is redone.
RECIPE=2
STAMP="$OUT/bin/.built"
WANT="recipe=$RECIPE snapd=$SNAPD_DEB_VERSION"
say() { echo "[build-snapd-testkeys] $*"; }

built() { [ -x "$OUT/bin/snap-testkeys" ] && [ -x "$OUT/bin/fakestore" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$WANT" ]; }
if built; then exit 0; fi
# install-test-deps.sh asks whether a build is needed without starting one.
if [ -n "${SNAPD_TESTKEYS_CHECK_ONLY:-}" ]; then exit 1; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "build-snapd-testkeys: the snap-testkeys CLI is not built; run as root once: sudo bash scripts/build-snapd-testkeys.sh" >&2
  exit 1
fi

mkdir -p "$OUT/bin"
# Two checkouts building at once would unpack into the same tree: one builds, the other waits.
exec 9>"$OUT/.lock"
flock 9
if built; then exit 0; fi

WORK=$OUT/build
GOPATH_DIR=$WORK/gopath
SRC=$GOPATH_DIR/src/github.com/snapcore/snapd
LOG=$WORK/build.log
mkdir -p "$WORK"
: >"$LOG"
run() { if [ "${VERBOSE:-0}" = 1 ]; then "$@" 2>&1 | tee -a "$LOG"; else "$@" >>"$LOG" 2>&1; fi; }
trap 'echo "[build-snapd-testkeys] failed; the last lines of $LOG:" >&2; tail -n 20 "$LOG" >&2' ERR
started=$(date +%s)

# 1. Debian packages: the toolchain, `apt-get source`, and the Go libraries from the
#    Build-Depends of snapd's debian/control that cmd/snap and fakestore import.
PKGS=(golang-go dpkg-dev ca-certificates
  golang-gopkg-check.v1-dev golang-dbus-dev golang-github-boltdb-bolt-dev
  golang-github-coreos-go-systemd-dev golang-github-juju-ratelimit-dev
  golang-github-gorilla-mux-dev golang-github-kr-pretty-dev
  golang-github-mvo5-goconfigparser-dev golang-github-seccomp-libseccomp-golang-dev
  golang-github-jessevdk-go-flags-dev golang-golang-x-crypto-dev
  golang-golang-x-xerrors-dev golang-gopkg-tomb.v2-dev golang-gopkg-yaml.v2-dev
  golang-gopkg-macaroon.v1-dev golang-gopkg-mgo.v2-dev golang-gopkg-retry.v1-dev
  golang-gopkg-tylerb-graceful.v1-dev golang-gopkg-yaml.v3-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
update=
# `apt-get source` needs deb-src entries: mirror the configured binary sources.
if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    say "adding deb-src entries (from debian.sources)"
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      >/etc/apt/sources.list.d/airlock-snapd-src.sources
  else
    say "adding deb-src entries (from sources.list)"
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >/etc/apt/sources.list.d/airlock-snapd-src.list
  fi
  update=1
fi
if [ ${#missing[@]} -gt 0 ] || [ -n "$update" ] || ! apt-cache showsrc snapd 2>/dev/null | grep -q '^Version:'; then
  say "apt-get update"
  run apt-get update
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive run apt-get install -y --no-install-recommends "${missing[@]}"
fi

# 2. The source package, Debian's patches applied; unpacked once per requested version.
if [ "$(cat "$SRC/.requested-version" 2>/dev/null)" != "$SNAPD_DEB_VERSION" ]; then
  say "apt-get source snapd=$SNAPD_DEB_VERSION"
  rm -rf "$WORK/download" "$SRC"
  mkdir -p "$WORK/download" "$(dirname "$SRC")"
  if ! (cd "$WORK/download" && run apt-get source "snapd=$SNAPD_DEB_VERSION"); then
    say "snapd=$SNAPD_DEB_VERSION is gone from the archive; taking bookworm's current snapd source"
    (cd "$WORK/download" && run apt-get source snapd)
  fi
  mv "$WORK/download"/snapd-*/ "$SRC"
  rm -rf "$WORK/download"
  (cd "$SRC" && dpkg-parsechangelog --show-field Version) >"$SRC/.debian-version"
  echo "$SNAPD_DEB_VERSION" >"$SRC/.requested-version"
fi

# 3. GOPATH-mode build against /usr/share/gocode, the way dh-golang builds the Debian package.
export GO111MODULE=off GOFLAGS= GOPROXY=off GOTOOLCHAIN=local
export GOPATH=$GOPATH_DIR:/usr/share/gocode GOCACHE=$WORK/gocache
cd "$SRC"
[ -f snapdtool/version_generated.go ] || run ./mkversion.sh "$(cat .debian-version)"
say "go build snap-testkeys, fakestore, testkeys-export ($(go env GOVERSION))"
# The tags debian/rules gives cmd/snap under DEB_BUILD_OPTIONS=testkeys.
run go build -trimpath -tags "nosecboot nomanagers withtestkeys" -o "$OUT/bin/snap-testkeys" ./cmd/snap
# snapd's own spread setup builds the fake store without tags (tests/lib/prepare-restore.sh).
run go build -trimpath -o "$OUT/bin/fakestore" ./tests/lib/fakestore/cmd/fakestore

# testkeys-export DIR: the public test keys of asserts/systestkeys as PEM and armored OpenPGP,
# with the testrootorg account and account-key assertions.
HELPER=$GOPATH_DIR/src/airlock-testkeys-export
mkdir -p "$HELPER"
cat >"$HELPER/main.go" <<'EOF'
package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io/ioutil"
	"os"
	"path/filepath"

	"github.com/snapcore/snapd/asserts"
	"github.com/snapcore/snapd/asserts/assertstest"
	"github.com/snapcore/snapd/asserts/systestkeys"
)

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "testkeys-export:", err)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: testkeys-export DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	check(os.MkdirAll(dir, 0755))
	for _, k := range []struct{ name, armored string }{
		{"test-root", systestkeys.TestRootPrivKey},
		{"test-store", systestkeys.TestStorePrivKey},
	} {
		pk, rsaKey := assertstest.ReadPrivKey(k.armored)
		pkcs8, err := x509.MarshalPKCS8PrivateKey(rsaKey)
		check(err)
		check(ioutil.WriteFile(filepath.Join(dir, k.name+".pkcs8.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0600))
		check(ioutil.WriteFile(filepath.Join(dir, k.name+".openpgp.asc"), []byte(k.armored), 0600))
		fmt.Printf("%s\tsign-key-sha3-384=%s\n", k.name, pk.PublicKey().ID())
	}
	for name, a := range map[string]asserts.Assertion{
		"testrootorg.account":    systestkeys.TestRootAccount,
		"test-root.account-key":  systestkeys.TestRootAccountKey,
		"test-store.account-key": systestkeys.TestStoreAccountKey,
	} {
		check(ioutil.WriteFile(filepath.Join(dir, name), asserts.Encode(a), 0644))
	}
}
EOF
run go build -trimpath -o "$OUT/bin/testkeys-export" airlock-testkeys-export

echo "$WANT" >"$STAMP"
trap - ERR
say "built $OUT/bin/snap-testkeys, fakestore, testkeys-export in $(( $(date +%s) - started ))s"
