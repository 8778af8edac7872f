#!/usr/bin/env bash
# Runs two instances of the sample against one Redis and shows, with curl, what the cache does:
# cold vs warm reads, cross-instance invalidation, a stampede of concurrent requests,
# refresh-ahead, and a hot key.
# Exits non-zero when an expectation fails, so it doubles as an end-to-end test.
# Bounded: every wait has a limit, and everything started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

JAR=sample-app/target/sample-app-0.1.0-SNAPSHOT.jar
if [ ! -f "$JAR" ]; then
  ./mvnw -B -q -pl sample-app -am package -DskipTests
fi
command -v redis-server >/dev/null || { echo "demo: redis-server is needed on PATH"; exit 2; }
command -v curl >/dev/null || { echo "demo: curl is needed on PATH"; exit 2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" \
  > "$WORK/redis.log" 2>&1 &
PIDS+=($!)

# The stampede below starts 100 curl processes at once; on a small, busy machine Redis replies can
# then take longer than the default 250ms command timeout, which the cache rightly handles as Redis
# trouble (it loads without the lock). A longer timeout keeps the demo about the lock, not the CPU.
start_instance() {
  local port=$1 name=$2
  java -jar "$JAR" --server.port="$port" --spring.data.redis.port="$REDIS_PORT" \
    --sample.embedded-redis.enabled=false --spring.application.name="$name" \
    --multi-tier-cache.redis.command-timeout=1s \
    > "$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

A_PORT=$(free_port); B_PORT=$(free_port)
start_instance "$A_PORT" sample-a
start_instance "$B_PORT" sample-b
A="http://127.0.0.1:$A_PORT"; B="http://127.0.0.1:$B_PORT"

# Two JVMs starting at once on a small, busy machine may take a minute or more each.
for url in "$A" "$B"; do
  for _ in $(seq 1 360); do
    curl -fs "$url/actuator/health" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fs "$url/actuator/health" >/dev/null || { echo "demo: $url did not start"; tail -n 50 "$WORK"/*.log; exit 1; }
done
echo "Two instances up: A=$A B=$B, Redis on port $REDIS_PORT"

failures=0
expect() { # expect <description> <condition result 0/1>
  if [ "$2" -eq 0 ]; then echo "  ok   $1"; else echo "  FAIL $1"; failures=$((failures + 1)); fi
}
seconds() { curl -fs -m 30 -o /dev/null -w '%{time_total}' "$1"; }
loads() { curl -fs -m 30 "$1/products/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["findById"])'; }
name_of() { curl -fs -m 30 "$1/products/$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])'; }

echo "1. Cold read, then warm read, on A"
cold=$(seconds "$A/products/1"); warm=$(seconds "$A/products/1")
echo "     cold ${cold}s, warm ${warm}s"
expect "the warm read is at least 5x faster than the cold one" \
  "$(python3 -c "print(0 if $warm * 5 < $cold else 1)")"
echo "   B reads the same product from Redis, without calling its repository"
b_before=$(loads "$B"); curl -fs "$B/products/1" >/dev/null; b_after=$(loads "$B")
expect "B's repository was not called ($b_before -> $b_after)" "$([ "$b_before" = "$b_after" ] && echo 0 || echo 1)"

echo "2. Cross-instance invalidation: update on A, read on B"
curl -fs "$B/products/1" >/dev/null   # B holds product 1 in its L1
curl -fs -X PUT -H 'Content-Type: application/json' \
  -d '{"name":"Espresso machine, renamed","price":"199.00"}' "$A/products/1" >/dev/null
seen=""
for _ in $(seq 1 20); do
  seen=$(name_of "$B" 1)
  [ "$seen" = "Espresso machine, renamed" ] && break
  sleep 0.05
done
echo "     B now serves: $seen"
expect "B serves the new name within one second" "$([ "$seen" = "Espresso machine, renamed" ] && echo 0 || echo 1)"

echo "3. Stampede: 100 concurrent requests for an uncached product, 50 on each instance"
# Warm both instances' load path (a first Lua call and subscription on a cold JVM can be slow).
curl -fs -m 30 -o /dev/null "$A/products/4"; curl -fs -m 30 -o /dev/null "$B/products/5"
before=$(( $(loads "$A") + $(loads "$B") ))
CURLS=()
for _ in $(seq 1 50); do
  curl -fs -m 30 -o /dev/null "$A/products/3" & CURLS+=($!)
  curl -fs -m 30 -o /dev/null "$B/products/3" & CURLS+=($!)
done
for pid in "${CURLS[@]}"; do wait "$pid" || true; done
after=$(( $(loads "$A") + $(loads "$B") ))
echo "     repository calls for those 100 requests: $((after - before))"
expect "exactly one repository call across both instances" "$([ $((after - before)) -eq 1 ] && echo 0 || echo 1)"

echo "4. Refresh-ahead: product 2's stock level (6s in Redis, refreshed after 3s) read on A for 8s"
stock_loads() { curl -fs -m 30 "$1/products/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stock"])'; }
refreshes() {
  curl -fs -m 30 "$1/actuator/metrics/multitier.cache.refreshes?tag=cache:product-stock&tag=result:success" \
    | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["measurements"][0]["value"]))'
}
# Reads that missed both tiers, and so waited for the repository.
stock_misses() {
  curl -fs -m 30 "$1/actuator/metrics/cache.gets?tag=cache:product-stock&tag=result:miss" \
    | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["measurements"][0]["value"]))'
}
checked_at() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["checkedAt"])' "$1"; }
cold=$(curl -fs -m 30 -o "$WORK/stock-first.json" -w '%{time_total}' "$A/products/2/stock")
loads_before=$(stock_loads "$A"); refreshes_before=$(refreshes "$A"); misses_before=$(stock_misses "$A")
: > "$WORK/stock-times"
end=$((SECONDS + 8))
while [ "$SECONDS" -lt "$end" ]; do
  curl -fs -m 30 -o "$WORK/stock-last.json" -w '%{time_total}\n' "$A/products/2/stock" >> "$WORK/stock-times"
  sleep 0.2
done
sleep 1   # let a refresh started by the last read finish before counting
loads=$(( $(stock_loads "$A") - loads_before )); refreshed=$(( $(refreshes "$A") - refreshes_before ))
misses=$(( $(stock_misses "$A") - misses_before ))
reads=$(wc -l < "$WORK/stock-times")
slowest=$(python3 -c 'import sys; print(max(float(line) for line in open(sys.argv[1])))' "$WORK/stock-times")
first_level=$(checked_at "$WORK/stock-first.json"); last_level=$(checked_at "$WORK/stock-last.json")
echo "     cold ${cold}s; then $reads reads, the slowest ${slowest}s"
echo "     level counted at $first_level, last served level counted at $last_level"
echo "     repository calls during those reads: $loads, background refreshes: $refreshed, reads that missed both tiers: $misses"
# Counted rather than timed: on a busy machine any request may take longer than a repository call.
expect "no read after the first waited for the repository (none missed both tiers)" "$([ "$misses" -eq 0 ] && echo 0 || echo 1)"
expect "the level was renewed in the background: $refreshed refresh(es), no other repository call" \
  "$([ "$refreshed" -ge 1 ] && [ "$loads" -eq "$refreshed" ] && echo 0 || echo 1)"
expect "the last level served is a newer one than the first" "$([ "$first_level" != "$last_level" ] && echo 0 || echo 1)"

echo "5. A hot key: the home page's featured products (a cache without L1) read one request at a time on A"
# The sample finds a key hot above 2 reads/s over 10s (application.yml), a pace any loop of curl keeps
# even on a busy machine. Read until A reports the key hot (looking every 10 reads), 300 reads at most,
# then 20 more, which must be L1 hits.
featured_loads() { curl -fs -m 30 "$1/products/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["featured"])'; }
is_hot_on() {
  curl -fs -m 30 "$1/actuator/multitiercache/product-featured" \
    | python3 -c 'import json,sys; print(1 if any(k["key"] == "home" and k["local"] for k in json.load(sys.stdin)["hotKeys"]["keys"]) else 0)'
}
loads_before=$(featured_loads "$A")
reads=0; started=$SECONDS
while [ "$reads" -lt 300 ]; do
  curl -fs -m 30 -o /dev/null "$A/products/featured"; reads=$((reads + 1))
  if [ $((reads % 10)) -eq 0 ] && [ "$(is_hot_on "$A")" = 1 ]; then break; fi
done
elapsed=$((SECONDS - started))
echo "     hot on A after $reads reads in ${elapsed}s"
for _ in $(seq 1 20); do curl -fs -m 30 -o /dev/null "$A/products/featured"; done
curl -fs -m 30 -o "$WORK/featured-a.json" "$A/actuator/multitiercache/product-featured"
curl -fs -m 30 -o "$WORK/featured-b.json" "$B/actuator/multitiercache/product-featured"
loads=$(( $(featured_loads "$A") - loads_before ))
describe_hot() {
  python3 - "$1" <<'PY'
import json, sys
cache = json.load(open(sys.argv[1]))
keys = cache["hotKeys"]["keys"]
print(", ".join("'%s' (%s, about %d reads/s here)" % (k["key"], "found here" if k["local"] else "announced",
      k["readsPerSecond"]) for k in keys) or "none")
print(cache["l1"]["hits"])
print(1 if any(k["key"] == "home" and k["local"] for k in keys) else 0)
PY
}
describe_hot "$WORK/featured-a.json" > "$WORK/featured-a.txt"; describe_hot "$WORK/featured-b.json" > "$WORK/featured-b.txt"
echo "     hot keys on A: $(sed -n 1p "$WORK/featured-a.txt")"
echo "     hot keys on B: $(sed -n 1p "$WORK/featured-b.txt")"
echo "     repository calls: $loads; L1 hits on A although the cache has no L1: $(sed -n 2p "$WORK/featured-a.txt")"
expect "A found the key 'home' hot" "$([ "$(sed -n 3p "$WORK/featured-a.txt")" = 1 ] && echo 0 || echo 1)"
expect "the hot key was served from L1 on A" "$([ "$(sed -n 2p "$WORK/featured-a.txt")" -gt 0 ] && echo 0 || echo 1)"
expect "one repository call for the $((reads + 20)) reads" "$([ "$loads" -eq 1 ] && echo 0 || echo 1)"

echo "6. Bulk read: GET /products?ids=4,2,990 on A (4 is cached, 2 and 990 are not), then the same ids, in another order, on B"
bulk_stats() { curl -fs -m 30 "$1/products/stats" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["findAllById"], s["findAllByIdKeys"], s["findById"])'; }
ids_of() { python3 -c 'import json,sys; print(",".join(str(p["id"]) for p in json.load(sys.stdin)))'; }
read -r a_calls a_ids a_singles <<< "$(bulk_stats "$A")"; b_before=$(bulk_stats "$B")
from_a=$(curl -fs -m 30 "$A/products?ids=4,2,990" | ids_of)
from_b=$(curl -fs -m 30 "$B/products?ids=2,990,4" | ids_of)
curl -fs -m 30 -o /dev/null "$B/products/2"
read -r a_calls2 a_ids2 a_singles2 <<< "$(bulk_stats "$A")"; b_after=$(bulk_stats "$B")
echo "     A returned [$from_a], B returned [$from_b]; A's repository: $((a_calls2 - a_calls)) bulk query for $((a_ids2 - a_ids)) ids"
expect "A returned the products found, in request order" "$([ "$from_a" = "4,2" ] && echo 0 || echo 1)"
expect "A queried its repository once, for the 2 ids not cached" \
  "$([ $((a_calls2 - a_calls)) -eq 1 ] && [ $((a_ids2 - a_ids)) -eq 2 ] && [ "$a_singles" = "$a_singles2" ] && echo 0 || echo 1)"
expect "B served the same ids, and then product 2 alone, from Redis without its repository" \
  "$([ "$from_b" = "2,4" ] && [ "$b_before" = "$b_after" ] && echo 0 || echo 1)"

echo
if [ "$failures" -eq 0 ]; then
  echo "demo: all expectations met"
else
  echo "demo: $failures expectation(s) failed; warnings from the instances:"
  grep -h -E "WARN|ERROR" "$WORK"/sample-*.log | tail -20 || true
  exit 1
fi
