#!/usr/bin/env bash
# A real S3-compatible object store for the tests and CI: Ceph's RADOS Gateway (radosgw) from
# Debian's packages, over a one-monitor, one-OSD cluster. No systemd, no Docker, no mgr; runs as root;
# listens on 127.0.0.1 only; everything it writes (config, keyring, data, logs, pids) stays under DIR.
#
#   scripts/s3-test-server.sh start DIR [PORT]   starts it (or finds it running) and prints
#                                                S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY,
#                                                S3_REGION lines once a signed request succeeds
#   scripts/s3-test-server.sh stop DIR           stops the daemons it recorded under DIR
#   scripts/s3-test-server.sh env DIR            prints the S3_* lines of the running server again
#   scripts/s3-test-server.sh kill-gateway DIR   SIGKILLs the gateway alone (an object store outage:
#                                                connections refused; monitor, OSD and objects stay)
#   scripts/s3-test-server.sh start-gateway DIR  starts that gateway again and prints the S3_* lines
#                                                once it answers (same port, keys and objects)
#
# PORT defaults to 7480; S3_TEST_MON_PORT picks the monitor's port (default: first free from 3300).
# Objects live in the OSD's memory (memstore) unless S3_TEST_OBJECTSTORE=bluestore: a stop loses
# them and the next start builds an empty cluster with the same keys.
#
# What clients must know about this server (Ceph 16.2 "Pacific" in Debian 12):
#  - address buckets path-style (http://host:port/bucket/key); virtual-host names do not resolve;
#  - CompleteMultipartUpload answers an empty <ETag>; HEAD and GET report the real one afterwards.
set -euo pipefail

usage() { echo "usage: $0 start DIR [PORT] | stop DIR | env DIR | kill-gateway DIR | start-gateway DIR" >&2; exit 2; }
cmd=${1:-}; dir=${2:-}; port=${3:-7480}
[ -n "$cmd" ] && [ -n "$dir" ] || usage
case $cmd in
  start) mkdir -p "$dir" ;;
  stop) [ -d "$dir" ] || exit 0 ;;
  env | kill-gateway | start-gateway) [ -d "$dir" ] || { echo "s3-test-server: no server in $dir" >&2; exit 1; } ;;
  *) usage ;;
esac
dir=$(cd "$dir" && pwd)
conf=$dir/ceph.conf
say() { echo "s3-test-server: $*" >&2; }

# The pid recorded for daemon $1 (mon, osd, rgw), only while that process still runs with our
# config file: a recycled pid never gets signalled.
recorded_pid() {
  local file=$dir/run/$1.pid pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- " -c $conf -f " || return 1
  echo "$pid"
}
alive() { [ -e "/proc/$1" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }
all_running() { recorded_pid mon >/dev/null && recorded_pid osd >/dev/null && recorded_pid rgw >/dev/null; }

stop_daemons() {  # gateway first, then the OSD, then the monitor; SIGKILL whatever outlives 10 s of SIGTERM
  local daemon pid _
  for daemon in rgw osd mon; do
    if pid=$(recorded_pid "$daemon"); then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
      if alive "$pid"; then say "$daemon (pid $pid) still running after SIGTERM; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    rm -f "$dir/run/$daemon.pid"
  done
}

fail() {
  say "$*"
  local f
  for f in "$dir"/logs/*.out; do [ -s "$f" ] && { say "--- tail of $f"; tail -n 5 "$f" >&2; }; done
  stop_daemons
  exit 1
}

daemon() {  # daemon NAME COMMAND...: run in the foreground (-f) as a background job; remember its pid
  local name=$1; shift
  "$@" -c "$conf" -f </dev/null >>"$dir/logs/$name.out" 2>&1 9>&- &
  echo $! >"$dir/run/$name.pid"
}

await() {  # await DAEMON SECONDS COMMAND...: retry COMMAND every 0.25 s; give up if DAEMON exits
  local name=$1 tries=$(($2 * 4)); shift 2
  while [ "$tries" -gt 0 ]; do
    "$@" >/dev/null 2>&1 && return 0
    recorded_pid "$name" >/dev/null || fail "$name exited during start; logs in $dir/logs"
    sleep 0.25; tries=$((tries - 1))
  done
  fail "$name did not come up in time; logs in $dir/logs"
}

ceph_cli() { timeout 20 ceph -c "$conf" --connect-timeout 10 "$@"; }
osd_is_up() { ceph_cli osd stat | grep -q ' 1 up'; }
gateway_answers() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; }
signed() { curl -sf --max-time 10 --aws-sigv4 "aws:amz:us-east-1:s3" -u "$access:$secret" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
first_free_port() { local p=$1; while port_taken "$p"; do p=$((p + 1)); done; echo "$p"; }

ensure_packages() {
  local c
  for c in radosgw ceph-mon ceph-osd ceph curl; do
    command -v "$c" >/dev/null || {
      say "installing Ceph's gateway, monitor and OSD packages"
      export DEBIAN_FRONTEND=noninteractive
      local pkgs="radosgw ceph-mon ceph-osd ceph-common curl"
      # shellcheck disable=SC2086
      apt-get install -y --no-install-recommends $pkgs >&2 || { apt-get update >&2 && apt-get install -y --no-install-recommends $pkgs >&2; }
      return
    }
  done
}

write_config() {  # write_config FSID MON_PORT OBJECTSTORE
  cat >"$conf" <<CONF
[global]
fsid = $1
mon_host = [v2:127.0.0.1:$2]
public_network = 127.0.0.0/8
ms_bind_ipv6 = false
ms_bind_msgr1 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
ms_client_mode = crc
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_warn_on_insecure_global_id_reclaim_allowed = false
mon_data_avail_warn = 2
mon_data_avail_crit = 1
paxos_propose_interval = 0.1
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
run_dir = $dir/run
admin_socket = $dir/run/\$name.asok
log_file = $dir/logs/\$name.log
keyring = $dir/keyring
[mon]
mon_data = $dir/mon
[osd]
osd_data = $dir/osd
osd_objectstore = $3
memstore_device_bytes = 8589934592
bluestore_block_path = $dir/osd.block
bluestore_block_create = true
bluestore_block_size = 21474836480
osd_memory_target = 939524096
osd_crush_initial_weight = 1
[client.rgw]
rgw_frontends = beast endpoint=127.0.0.1:$port
rgw_thread_pool_size = 32
rgw_gc_obj_min_wait = 60
rgw_gc_processor_period = 60
CONF
}

start() {
  if all_running && [ -f "$dir/s3.env" ]; then
    local running_port
    running_port=$(sed -n 's|^S3_ENDPOINT=http://127.0.0.1:||p' "$dir/s3.env")
    if curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$running_port/"; then
      [ "$running_port" = "$port" ] || say "already running on port $running_port (not $port)"
      cat "$dir/s3.env"
      return 0
    fi
  fi
  stop_daemons
  ensure_packages
  port_taken "$port" && fail "port $port is already in use"
  rm -rf "$dir/mon" "$dir/osd" "$dir/osd.block" "$dir/run" "$dir/logs" "$dir/keyring" "$dir/monmap" "$dir/s3.env"
  mkdir -p "$dir/mon" "$dir/osd" "$dir/run" "$dir/logs"
  local began=$SECONDS fsid mon_port osd_uuid osd_id
  fsid=$(cat /proc/sys/kernel/random/uuid)
  mon_port=${S3_TEST_MON_PORT:-$(first_free_port 3300)}
  write_config "$fsid" "$mon_port" "${S3_TEST_OBJECTSTORE:-memstore}"

  { ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *'
    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap"
    ceph-mon -c "$conf" -i a --mkfs --monmap "$dir/monmap" --keyring "$dir/keyring"
  } >>"$dir/logs/setup.out" 2>&1 || fail "could not create the monitor"
  daemon mon ceph-mon -i a
  await mon 30 ceph_cli mon stat

  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  osd_id=$(ceph_cli osd new "$osd_uuid" 2>>"$dir/logs/setup.out") || fail "could not register the OSD"
  ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >>"$dir/logs/setup.out" 2>&1 || fail "could not create the OSD"
  daemon osd ceph-osd -i "$osd_id"
  await osd 60 osd_is_up

  daemon rgw radosgw -n client.rgw   # it creates its pools on first start
  await rgw 120 gateway_answers

  # One S3 user whose keys a DIR keeps across restarts.
  if [ -f "$dir/keys" ]; then read -r access secret <"$dir/keys"; else
    access=$(od -An -N10 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
    secret=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
    echo "$access $secret" >"$dir/keys"
  fi
  radosgw-admin -c "$conf" user create --uid=test --display-name=test --access-key="$access" --secret="$secret" \
    >>"$dir/logs/setup.out" 2>&1 || fail "could not create the S3 user"

  # A signed round trip (bucket, object, multipart upload) proves the keys and makes radosgw create
  # its data pools now rather than during the first test.
  local bucket="http://127.0.0.1:$port/s3-test-server-warmup" upload
  { signed -X PUT "$bucket" && signed -X PUT --data-binary warmup "$bucket/o" && signed -X DELETE "$bucket/o" \
    && upload=$(signed -X POST "$bucket/m?uploads=" | sed -n 's|.*<UploadId>\(.*\)</UploadId>.*|\1|p') \
    && signed -X DELETE "$bucket/m?uploadId=$upload" && signed -X DELETE "$bucket"; } >>"$dir/logs/setup.out" 2>&1 \
    || fail "signed S3 requests failed; see $dir/logs/client.rgw.log"
  printf 'S3_ENDPOINT=http://127.0.0.1:%s\nS3_ACCESS_KEY_ID=%s\nS3_SECRET_ACCESS_KEY=%s\nS3_REGION=us-east-1\n' \
    "$port" "$access" "$secret" >"$dir/s3.env"
  say "ready on 127.0.0.1:$port in $((SECONDS - began)) s (logs: $dir/logs)"
  cat "$dir/s3.env"
}

kill_gateway() {  # abrupt, as a crash or a network cut is: clients see refused connections at once
  local pid _
  if pid=$(recorded_pid rgw); then
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
  fi
  rm -f "$dir/run/rgw.pid"
}

start_gateway() {
  recorded_pid mon >/dev/null && recorded_pid osd >/dev/null && [ -f "$dir/s3.env" ] || { say "no cluster running in $dir: use start"; exit 1; }
  port=$(sed -n 's|^S3_ENDPOINT=http://127.0.0.1:||p' "$dir/s3.env")
  recorded_pid rgw >/dev/null || daemon rgw radosgw -n client.rgw
  await rgw 120 gateway_answers
  cat "$dir/s3.env"
}

exec 9>"$dir/.lock"
flock 9   # starts and stops of one DIR never overlap
case $cmd in
  start) start ;;
  stop) stop_daemons ;;
  kill-gateway) kill_gateway ;;
  start-gateway) start_gateway ;;
  env) all_running && [ -f "$dir/s3.env" ] || { say "no server running in $dir"; exit 1; }; cat "$dir/s3.env" ;;
esac
