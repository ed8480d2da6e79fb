#!/usr/bin/env bash
# The official OpenAI Node client (npm "openai") talking to gwd: a normal and a streaming chat
# completion. The package is installed once into $GWD_NPM_CACHE (build/<preset>/npm); when the
# npm registry cannot be reached the test is skipped (exit 77).
source "$(dirname "$0")/lib.bash" "$@"

command -v node > /dev/null && command -v npm > /dev/null || { echo "SKIP: node/npm not installed"; exit 77; }
npm_dir=${GWD_NPM_CACHE:-$TMP/npm}
if [[ ! -f $npm_dir/node_modules/openai/package.json ]]; then
  mkdir -p "$npm_dir"
  if ! (cd "$npm_dir" && timeout 120 npm install --no-audit --no-fund --silent openai@4 > "$TMP/npm.log" 2>&1); then
    echo "SKIP: 'npm install openai' failed (is the npm registry reachable?): $(tail -n 3 "$TMP/npm.log")"
    exit 77
  fi
fi

start_mock
write_config "$TMP/tree"
compile "$TMP/tree" "$TMP/a.json"
start_gwd "$TMP/a.json"

check "the OpenAI client gets a chat completion and a streamed one through gwd"
cat > "$TMP/client.mjs" << 'JS'
import OpenAI from "openai";
const client = new OpenAI({ baseURL: `http://127.0.0.1:${process.env.GWD_PORT}/v1`, apiKey: "key-app", maxRetries: 0 });
const done = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
if (done.choices[0].message.content !== "Hello from gwd-mock.") throw new Error("unexpected reply " + JSON.stringify(done));
if (!done.model.startsWith("m-")) throw new Error("model not rewritten: " + done.model);
if (done.usage.total_tokens !== 15) throw new Error("usage " + JSON.stringify(done.usage));
const stream = await client.chat.completions.create({
  model: "m", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }],
});
let text = "", usage = null, chunks = 0;
for await (const chunk of stream) {
  chunks++;
  if (chunk.choices.length) text += chunk.choices[0].delta.content ?? "";
  if (chunk.usage) usage = chunk.usage;
}
if (text !== "tok0 tok1 tok2 ") throw new Error("streamed text " + JSON.stringify(text));
if (!usage || usage.total_tokens !== 15) throw new Error("stream usage " + JSON.stringify(usage));
let refused = false;
try {
  await new OpenAI({ baseURL: `http://127.0.0.1:${process.env.GWD_PORT}/v1`, apiKey: "wrong", maxRetries: 0 })
    .chat.completions.create({ model: "m", messages: [] });
} catch (e) {
  refused = e.status === 401;
}
if (!refused) throw new Error("a wrong key was not refused with 401");
console.log(`ok: ${chunks} chunks`);
JS
cp "$TMP/client.mjs" "$npm_dir/client-$$.mjs"
out=$(cd "$npm_dir" && GWD_PORT=$GWD_PORT timeout 30 node "client-$$.mjs" 2>&1) || { rm -f "$npm_dir/client-$$.mjs"; fail "client: $out"; }
rm -f "$npm_dir/client-$$.mjs"
[[ $out == ok:* ]] || fail "client said: $out"
done_ok
