#!/usr/bin/env bash
# What the test suite needs from the system, installed when missing (Debian; root). Idempotent: a
# no-op once everything is there. Run by `npm test` (pretest) and .ci/run.
#   pg_isready       PostgreSQL half of the storage suites (the server itself: PostgreSQL at 127.0.0.1:5432)
#   pg_ctl, initdb   a private PostgreSQL instance to stop and start (test/e2e/postgres-outage); Debian keeps them off PATH
#   skopeo           builds image archives and inspects pushed images (test/e2e/oci-*)
#   docker-registry  the real OCI registry push-images is tested against (distribution 2.8)
#   openssl          TLS and token-signing certificates for those registries
#   unsquashfs       reading meta/snap.yaml out of snaps (the importer itself needs it)
#   systemd-analyze  verifies packaging/airlock.service (test/unit/packaging.test.ts)
#   snap             Debian's stock snap CLI: snap download / known --remote (test/e2e/snap-download)
#   snap-testkeys    snapd's snap CLI trusting snapd's public test root, built from Debian's snapd
#                    source by scripts/build-snapd-testkeys.sh (test/e2e/snap-download)
#   radosgw, ceph-mon, ceph-osd, ceph
#                    Ceph's S3 gateway over a one-OSD cluster: the real object store of the S3 blob
#                    driver tests, started per test file by scripts/s3-test-server.sh
#   haproxy          the load balancer in front of two replicas (test/e2e/replicas-behind-haproxy)
#   chromium         headless browser for the catalog page test (test/e2e/catalog-page), with a font to render text
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
need=()
for pair in "pg_isready:postgresql-client" "skopeo:skopeo" "docker-registry:docker-registry" "openssl:openssl" "unsquashfs:squashfs-tools" "snap:snapd" "systemd-analyze:systemd" "chromium:chromium" "radosgw:radosgw" "ceph-mon:ceph-mon" "ceph-osd:ceph-osd" "ceph:ceph-common" "haproxy:haproxy"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=("fonts-dejavu-core")
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || need+=("postgresql")
testkeys_built() { SNAPD_TESTKEYS_CHECK_ONLY=1 bash "$here/build-snapd-testkeys.sh" 2>/dev/null; }

if [ "$(id -u)" -ne 0 ]; then
  missing=()
  [ ${#need[@]} -gt 0 ] && missing+=("the Debian packages ${need[*]}")
  testkeys_built || missing+=("the snap-testkeys CLI")
  if [ ${#missing[@]} -gt 0 ]; then
    printf 'the tests need %s: run once as root: sudo bash scripts/install-test-deps.sh\n' "$(IFS=,; echo "${missing[*]}" | sed 's/,/ and /g')" >&2
    exit 1
  fi
  exit 0
fi

if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
  # The package starts a registry on :5000 where systemd runs; the tests start their own.
  if [[ " ${need[*]} " == *" docker-registry "* ]] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
  # Likewise HAProxy's own service: the tests start their own.
  if [[ " ${need[*]} " == *" haproxy "* ]] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now haproxy >/dev/null 2>&1 || true
  fi
fi
bash "$here/build-snapd-testkeys.sh"
