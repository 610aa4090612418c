#!/usr/bin/env bash
# System packages the test suite uses, from Debian. Idempotent; a no-op when all are present.
#   pg_isready       PostgreSQL half of the storage suites
#   pg_ctl, initdb   a private PostgreSQL instance to stop and start (test/e2e/postgres-outage); Debian keeps them off PATH
#   skopeo           builds image archives and inspects pushed images (test/e2e/oci-*)
#   docker-registry  the real OCI registry push-images is tested against (distribution 2.8)
#   openssl          TLS and token-signing certificates for those registries
#   snap             Debian's stock snap CLI: snap download / known --remote against the Snap Store API (test/e2e/snap-download)
set -euo pipefail
need=()
for pair in "pg_isready:postgresql-client" "skopeo:skopeo" "docker-registry:docker-registry" "openssl:openssl" "unsquashfs:squashfs-tools" "snap:snapd"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || need+=("postgresql")
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "install these Debian packages first: ${need[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
  # The package starts a registry on :5000 where systemd runs; the tests start their own.
  if [[ " ${need[*]} " == *" docker-registry "* ]] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
fi
