#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run gwctl's main job on the
# bundled example (lint every environment and flag, then compile each environment), then serve
# the dev artifact with gwd against gwd-mock and send a request through it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
gwctl=build/release/bin/gwctl
echo
echo "\$ gwctl -C examples/acme lint"
"$gwctl" -C examples/acme lint
mkdir -p build/artifacts
for env in dev staging prod; do
  echo "\$ gwctl -C examples/acme compile --env $env -o build/artifacts/$env.json"
  "$gwctl" -C examples/acme compile --env "$env" -o "build/artifacts/$env.json"
  echo "  digest $(grep -o '"digest": "[^"]*"' "build/artifacts/$env.json" | cut -d'"' -f4)"
done
echo
echo "\$ gwctl -C examples/broken lint   # an overlay with a mistake: exit 1, pointing at the line"
set +e
"$gwctl" -C examples/broken lint
code=$?
set -e
echo "(exit $code)"
[ "$code" -eq 1 ]

# gwd serving the dev artifact, every provider pointed at gwd-mock (a local OpenAI-compatible
# stand-in), and one request through it. Secrets come from the environment: demo values here.
echo
echo "\$ gwd-mock --listen 127.0.0.1:0 &"
bin=build/release/bin
run=$(mktemp -d)
"$bin/gwd-mock" --listen 127.0.0.1:0 > "$run/mock.out" &
mock_pid=$!
trap 'kill $mock_pid ${gwd_pid:-} 2> /dev/null || true; rm -rf "$run"' EXIT
until grep -q listening "$run/mock.out" 2> /dev/null; do sleep 0.05; done
mock=$(grep -o '127.0.0.1:[0-9]*' "$run/mock.out")
for name in $(grep -o '"\$secret": "[A-Z0-9_]*"' build/artifacts/dev.json | cut -d'"' -f4 | sort -u); do
  export "$name=demo-$(echo "$name" | tr 'A-Z_' 'a-z-')"
done
echo "\$ gwd --artifact build/artifacts/dev.json --listen 127.0.0.1:0 --admin 127.0.0.1:0 --provider-url '*=http://$mock/v1' &"
"$bin/gwd" --artifact build/artifacts/dev.json --listen 127.0.0.1:0 --admin 127.0.0.1:0 \
  --provider-url "*=http://$mock/v1" > "$run/access.log" 2> "$run/gwd.err" &
gwd_pid=$!
until grep -q '"event":"listening"' "$run/gwd.err" 2> /dev/null; do sleep 0.05; done
head -n 1 "$run/gwd.err"
port=$(grep -o '"listen":"[^"]*"' "$run/gwd.err" | head -n 1 | grep -o '[0-9]*"$' | tr -d '"')
echo "\$ curl -s http://127.0.0.1:$port/v1/chat/completions -H 'authorization: Bearer \$DEV_SANDBOX_KEY' -d '{\"model\":\"gpt-4o-mini\",\"messages\":[…]}'"
curl -s --fail-with-body "http://127.0.0.1:$port/v1/chat/completions" -H "authorization: Bearer $DEV_SANDBOX_KEY" \
  -H 'content-type: application/json' \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}]}'
echo
echo "access log: $(cat "$run/access.log")"
kill -TERM "$gwd_pid" "$mock_pid"
wait "$gwd_pid" "$mock_pid" 2> /dev/null || true
echo "gwd and gwd-mock stopped"
