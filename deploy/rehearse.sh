#!/usr/bin/env bash
# The container rehearsal (run by .ci/run after the tests; by hand: `sudo bash deploy/rehearse.sh`).
#
# The project's own Dockerfile built with podman on base images made here (no registry can be reached
# for images: debootstrap makes a Debian bookworm root filesystem, this machine's Node is copied in
# with a `node` user of uid 1000, and `podman import` tags it as the Dockerfile's node:*-bookworm and
# node:*-bookworm-slim), then a distributed run from that image, as Swarm or Kubernetes would run it
# but on this machine's loopback (--network host, every container bound to its own 127.0.0.x):
#   the reference target, three shard containers (shard 1 and 2 numbered the Swarm way, MCPLOAD_SHARD
#   from {{.Task.Slot}}; shard 3 the Kubernetes way, JOB_COMPLETION_INDEX), one common --start-at, and
#   a watch container that finds them by URL; a real Prometheus (this machine's) scrapes the shards.
# Checked: every container runs as uid 1000 and its HEALTHCHECK passes (`podman healthcheck run`);
# Prometheus scrapes all three shards; `podman stop` (SIGTERM) ends the shards with 143 and their own
# reports; the watch ends with the cluster verdict (0) and a merged report equal, field for field and
# percentile for percentile, to `mcpload merge` of the shards' report files (deploy/same-report.mjs).
#
# Everything lives in one podman store of its own under a temporary folder (images, layers, containers),
# removed at the end with the folder; nothing else of this machine's podman is touched. Fails with one
# line naming what to install when podman, runc, debootstrap or Prometheus is missing.
set -euo pipefail
PATH="$PATH:/usr/sbin:/sbin" # runc and debootstrap live in sbin
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T0=$(date +%s)
say() { echo "rehearse [$(($(date +%s) - T0)) s]: $*"; }
die() {
  echo "rehearse: FAILED: $*" >&2
  exit 1
}

for tool in podman runc debootstrap prometheus; do
  command -v "$tool" >/dev/null || die "$tool is missing: apt-get install -y --no-install-recommends podman runc debootstrap prometheus"
done
[ "$(id -u)" = 0 ] || die "run it as root (debootstrap, and podman with runc on this machine's cgroups)"
[ -f "$ROOT/dist/bin.js" ] || die "dist/ is missing: npm run build first (the host runs the comparison with it)"
BIN_POOL=$(head -1 "$ROOT/dist/bin.js" | sed -n 's/.*--v8-pool-size=\([0-9]*\).*/\1/p')

# --- the podman store of this rehearsal, and its removal ---------------------------------------------
WORK=$(mktemp -d /tmp/mcpload-rehearse.XXXXXX)
PREFIX="mcpload-rehearse-$$"
POD=(podman --root "$WORK/storage" --runroot "$WORK/run" --tmpdir "$WORK/libpod" --runtime runc --cgroup-manager cgroupfs --events-backend file)
pod() { "${POD[@]}" "$@"; }
PROM_PID=""
cleanup() {
  local rc=$?
  set +e
  if [ "$rc" != 0 ] && [ -d "$WORK/storage" ]; then
    for c in $(pod ps -a --format '{{.Names}}' 2>/dev/null); do
      echo "--- $c: exit $(pod inspect --format '{{.State.ExitCode}}' "$c" 2>/dev/null); its events and last lines" >&2
      pod logs "$c" 2>&1 | grep -E '^(watch|mcpload):' | tail -20 >&2
      pod logs --tail 8 "$c" >&2 2>&1
    done
  fi
  [ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null
  if [ -d "$WORK/storage" ]; then
    pod rm --force --time 0 --all >/dev/null 2>&1
    pod rmi --force --all >/dev/null 2>&1
    pod system reset --force >/dev/null 2>&1
  fi
  # Whatever the store left mounted under the folder, deepest first, then the folder.
  grep -o " $WORK[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$WORK"
  say "cleaned up (store, containers, images, $WORK); exit $rc"
}
trap cleanup EXIT

# Containers on the host's network, each on its own loopback address; ulimits no higher than the host's.
NOFILE=$(ulimit -Hn)
[ "$NOFILE" = unlimited ] || [ "$NOFILE" -gt 20000 ] && NOFILE=20000
NPROC=$(ulimit -Hu)
[ "$NPROC" = unlimited ] || [ "$NPROC" -gt 1000 ] && NPROC=1000
RUN_FLAGS=(--network host --ulimit "nofile=$NOFILE:$NOFILE" --ulimit "nproc=$NPROC:$NPROC")
TARGET_IP=127.0.0.20
SHARD_IPS=(127.0.0.21 127.0.0.22 127.0.0.23)
# Ports free on every address used (the same metrics port on each shard, as on Swarm tasks or pods).
read -r TARGET_PORT METRICS_PORT PROM_PORT < <(node -e '
const net = require("node:net");
const free = (hosts, tries = 50) => new Promise((resolve, reject) => {
  const port = 20000 + Math.floor(Math.random() * 30000);
  Promise.all(hosts.map((h) => new Promise((ok, no) => { const s = net.createServer(); s.once("error", no); s.listen(port, h, () => s.close(ok)); })))
    .then(() => resolve(port), () => (tries > 0 ? free(hosts, tries - 1).then(resolve, reject) : reject(new Error("no free port"))));
});
(async () => console.log(await free(["127.0.0.20"]), await free(["127.0.0.21", "127.0.0.22", "127.0.0.23"]), await free(["127.0.0.1"])))();
')

# --- 1. base images ------------------------------------------------------------------------------------
NODE_VERSION=$(node -p process.versions.node)
MIRROR=$({ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
  grep -E '^(URIs:|deb) ' | grep -oE 'https?://[^ ]*/debian/?( |$)' | head -1 | tr -d ' ' || true)
[ -n "$MIRROR" ] || die "no Debian mirror in /etc/apt/sources.list*: debootstrap needs one"
say "debootstrap bookworm from $MIRROR, Node $NODE_VERSION copied in"
ROOTFS="$WORK/rootfs"
debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
  tail -5 "$WORK/debootstrap.log" >&2
  die "debootstrap failed"
}
install -m 0755 "$(command -v node)" "$ROOTFS/usr/local/bin/node"
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
mkdir -p "$ROOTFS/usr/local/lib/node_modules"
cp -a "$NPM_DIR" "$ROOTFS/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
chroot "$ROOTFS" groupadd --gid 1000 node
chroot "$ROOTFS" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*
BASE="localhost/node:$NODE_VERSION-bookworm"
tar -C "$ROOTFS" -c . | pod import --change 'CMD ["node"]' - "$BASE" >/dev/null
pod tag "$BASE" "localhost/node:$NODE_VERSION-bookworm-slim"
rm -rf "$ROOTFS"

# --- 2. the project's Dockerfile ----------------------------------------------------------------------
IMAGE="localhost/mcpload:rehearsal"
say "podman build (npm ci inside, --network host)"
# Behind a TLS-intercepting proxy npm needs the machine's CA bundle (see the Dockerfile's npm_ca).
SECRET=()
[ -s /etc/ssl/certs/ca-certificates.crt ] && SECRET=(--secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt)
pod build --pull=never --network host --format docker --layers=false "${SECRET[@]}" \
  --build-arg "NODE_VERSION=$NODE_VERSION" -t "$IMAGE" "$ROOT" >"$WORK/build.log" 2>&1 || {
  tail -20 "$WORK/build.log" >&2
  die "podman build failed"
}
[ "$(pod image inspect --format '{{.Config.User}}' "$IMAGE")" = node ] || die "the image does not run as user node"
pod image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE" | grep -q healthcheck.mjs || die "the image lost its HEALTHCHECK"
say "image built: $(pod image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1 / 1e6}')"

# --- 3. the run ---------------------------------------------------------------------------------------
REPORTS="$WORK/reports"
mkdir -p "$REPORTS" "$WORK/prometheus"
chown 1000:1000 "$REPORTS"
pod run -d --name "$PREFIX-target" "${RUN_FLAGS[@]}" \
  --health-cmd "[\"node\", \"/app/healthcheck.mjs\", \"http://$TARGET_IP:$TARGET_PORT/mcp/ws\", \"426\"]" \
  "$IMAGE" serve --host "$TARGET_IP" --port "$TARGET_PORT" >/dev/null

# Prometheus scrapes the three shards' metrics ports every second.
cat >"$WORK/prometheus.yml" <<EOF
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: mcpload
    static_configs:
      - targets: [$(printf '"%s:'"$METRICS_PORT"'", ' "${SHARD_IPS[@]}" | sed 's/, $//')]
EOF
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prometheus" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!

# One instant for every shard, a few seconds ahead (the containers start one after the other).
START_AT=$(node -p 'new Date(Date.now() + 15000).toISOString()')
SHARD_ENV=(-e MCPLOAD_URL="ws://$TARGET_IP:$TARGET_PORT/mcp/ws" -e MCPLOAD_PROFILE=normal -e MCPLOAD_CLIENTS=12 -e MCPLOAD_RATE=10
  -e MCPLOAD_WORKERS=1 -e MCPLOAD_DURATION=0 -e MCPLOAD_START_AT="$START_AT" -e MCPLOAD_METRICS_PORT="$METRICS_PORT"
  -e MCPLOAD_PROGRESS_INTERVAL=5s -e MCPLOAD_SHARDS=3)
for i in 1 2 3; do
  # Shards 1 and 2 as Swarm numbers its tasks (MCPLOAD_SHARD from {{.Task.Slot}}); shard 3 as a
  # Kubernetes Indexed Job does (JOB_COMPLETION_INDEX, from 0).
  if [ "$i" = 3 ]; then index=(-e JOB_COMPLETION_INDEX=2); else index=(-e MCPLOAD_SHARD="$i"); fi
  pod run -d --name "$PREFIX-shard$i" "${RUN_FLAGS[@]}" --stop-timeout 60 "${SHARD_ENV[@]}" "${index[@]}" \
    -e MCPLOAD_METRICS_HOST="${SHARD_IPS[$((i - 1))]}" -e MCPLOAD_REPORT="/reports/shard-$i.json" \
    -v "$REPORTS:/reports" "$IMAGE" >/dev/null
done
FROM=()
for ip in "${SHARD_IPS[@]}"; do FROM+=(--from "http://$ip:$METRICS_PORT"); done
# --lost-after 30s: on a machine this busy a shard's event loop can stall for seconds (engines
# starting), which is not a shard gone.
pod run -d --name "$PREFIX-watch" "${RUN_FLAGS[@]}" -v "$REPORTS:/reports" "$IMAGE" \
  watch "${FROM[@]}" --report /reports/cluster.json --threshold 'errors<1%' --lost-after 30s >/dev/null
say "target, 3 shards (start at $START_AT), watch and Prometheus started"

# Prometheus scrapes all three shards with their sessions open (12 clients split 4/4/4).
prom() { curl -fsS --get "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" | node -e '
let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => { const r = JSON.parse(s).data.result; console.log(r.length ? r[0].value[1] : ""); });'; }
deadline=$(($(date +%s) + 60))
until [ "$(prom 'count(up{job="mcpload"} == 1) == 3 and sum(mcp_client_sessions_open) == 12' 2>/dev/null)" = 3 ]; do
  [ "$(date +%s)" -lt "$deadline" ] || die "Prometheus did not see 3 shards with 12 sessions open within 60 s"
  sleep 1
done
say "Prometheus scrapes 3 shards, 12 sessions open; $(prom 'sum(mcp_client_requests_total)') requests so far"

# Every container: uid 1000, and its HEALTHCHECK passes as podman runs it.
for c in target shard1 shard2 shard3 watch; do
  name="$PREFIX-$c"
  pid=$(pod inspect --format '{{.State.Pid}}' "$name")
  [ "$pid" -gt 0 ] || die "$c is not running"
  [ "$(stat -c %u "/proc/$pid")" = 1000 ] || die "$c runs as uid $(stat -c %u "/proc/$pid"), not 1000"
  ok=""
  for _ in $(seq 1 15); do
    if pod healthcheck run "$name" >/dev/null 2>&1; then
      ok=1
      break
    fi
    sleep 1
  done
  [ -n "$ok" ] || die "$c: HEALTHCHECK does not pass ($(pod healthcheck run "$name" 2>&1 | head -1))"
done
say "all 5 containers run as uid 1000, HEALTHCHECK healthy"
sleep 5

# podman stop: SIGTERM (the image's STOPSIGNAL) to the shards, as `docker stack rm` or a Job's end would.
say "podman stop (SIGTERM) the shards"
# 60 s as the stack's stop_grace_period: drain (5 s), the report, and the linger until the watch has read it.
pod stop --time 60 "$PREFIX-shard1" "$PREFIX-shard2" "$PREFIX-shard3" >/dev/null
for i in 1 2 3; do
  code=$(pod inspect --format '{{.State.ExitCode}}' "$PREFIX-shard$i")
  [ "$code" = 143 ] || die "shard $i exited $code after SIGTERM, not 143"
  [ -s "$REPORTS/shard-$i.json" ] || die "shard $i wrote no report"
  # The ENTRYPOINT is the bin itself, so its first line's V8 pool applies (src/bin.ts).
  pool=$(node -p "require('$REPORTS/shard-$i.json').config.v8PoolSize")
  [ "$pool" = "$BIN_POOL" ] || die "shard $i ran with a V8 pool of $pool, not the bin's $BIN_POOL"
done
watch_code=$(timeout 60 "${POD[@]}" wait "$PREFIX-watch") || die "the watch did not end within 60 s of the shards"
[ "$watch_code" = 0 ] || die "the watch's cluster verdict is $watch_code, not 0"
[ -s "$REPORTS/cluster.json" ] || die "the watch wrote no report"
say "shards ended 143 with their reports, the watch ended 0 with the cluster report"

# The cluster report against `mcpload merge` of the shards' own files, run from the same image.
pod run --rm "${RUN_FLAGS[@]}" -v "$REPORTS:/reports" "$IMAGE" \
  merge /reports/shard-1.json /reports/shard-2.json /reports/shard-3.json --report /reports/merged.json --threshold 'errors<1%' >/dev/null
node "$ROOT/deploy/same-report.mjs" "$REPORTS/cluster.json" "$REPORTS/merged.json" || die "the watch's report differs from mcpload merge of the shards' reports"
say "passed: the watch's merged report equals mcpload merge of the 3 shards' reports ($(($(date +%s) - T0)) s in all)"
