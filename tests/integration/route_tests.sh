#!/usr/bin/env bash
# gwctl test end to end: the example suite with every output format, --fail-under, a custom
# layout.tests folder, -o written atomically, exit 2 when there is nothing to run or the input
# is unusable, and no key value ever in the output.
#   bash tests/integration/route_tests.sh GWCTL REPO_ROOT
# shellcheck source-path=SCRIPTDIR source=lib.bash
source "$(dirname "$0")/lib.bash" "$@"

ACME=$REPO/examples/acme

case_example_suite_formats() {
  check "the example suite passes with full coverage, in text, JSON and JUnit"
  gw -C "$ACME" test --fail-under 100
  expect_no_crash
  expect_status 0
  expect_output_has "0 failed"
  expect_output_lacks "FAIL"
  gw -C "$ACME" test --format json
  expect_status 0
  python3 - "$TMP/out" <<'PY' || fail "the JSON report is not what it should be"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["format_version"] == 1
assert r["summary"]["failed"] == 0 and r["summary"]["tests"] == len(r["tests"]) > 100
assert r["coverage"]["percent"] == 100.0
assert [e["env"] for e in r["coverage"]["environments"]] == ["dev", "staging", "prod"]
PY
  gw -C "$ACME" test --format junit --env prod
  expect_status 0
  python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$TMP/out" || fail "JUnit is not XML"
  expect_output_has '<testsuite name="tests/chat.yaml"'
  expect_output_lacks "[dev]"
}

case_fail_under() {
  check "--fail-under trips on one environment's coverage when tests are missing"
  cp -R "$ACME" "$TMP/acme"
  rm "$TMP/acme/tests/fallbacks.yaml"
  gw -C "$TMP/acme" test --fail-under 100
  expect_status 1
  expect_output_has "is under --fail-under 100.0%"
  expect_output_has "fallback gpt-4o -> claude-sonnet"
  gw -C "$TMP/acme" test --fail-under 50
  expect_status 0
}

case_layout_tests_and_files() {
  check "layout.tests names the folder; files on the command line replace it"
  cp -R "$ACME" "$TMP/acme"
  mv "$TMP/acme/tests" "$TMP/acme/route-tests"
  gw -C "$TMP/acme" test
  expect_status 2
  expect_output_has "no route tests"
  printf 'layout: {tests: route-tests}\n' >> "$TMP/acme/gwctl.yaml"
  gw -C "$TMP/acme" test --env dev
  expect_status 0
  expect_output_has "route-tests/chat.yaml"
  gw -C "$TMP/acme" test "$TMP/acme/route-tests/probes.yaml" --env dev
  expect_status 0
  expect_output_has "$TMP/acme/route-tests/probes.yaml:"
  expect_output_lacks "chat.yaml"
}

case_output_atomic() {
  check "-o writes the report; a failing run still writes it, an unusable one does not"
  gw -C "$ACME" test --env dev -o "$TMP/report.txt"
  expect_status 0
  expect_stdout_empty
  grep -q "PASS tests/probes.yaml" "$TMP/report.txt" || fail "the report file lacks the tests"
  gw -C "$ACME" test --env nowhere -o "$TMP/none.txt"
  expect_status 2
  expect_output_has "unknown environment 'nowhere'"
  [[ ! -e $TMP/none.txt ]] || fail "a report was written for a run that could not happen"
  [[ -z $(find "$TMP" -maxdepth 1 -name '.*tmp*' -print) ]] || fail "a temporary file was left behind"
}

case_keys_never_printed() {
  check "the fake keys the runner presents never appear, even in failures"
  cp -R "$ACME" "$TMP/acme"
  cat > "$TMP/acme/tests/zz-fails.yaml" <<'YAML'
tests:
  - name: wrong expectations everywhere
    request: {path: /v1/chat/completions, consumer: web-app}
    expect: {status: 401, consumer: research, upstream: {auth: api-key}}
YAML
  gw -C "$TMP/acme" test --format json
  expect_status 1
  expect_output_lacks "gwctl-test-"
  gw -C "$TMP/acme" test
  expect_status 1
  expect_output_lacks "gwctl-test-"
  expect_output_has "status: expected 401, got 200"
}

case_unusable_input() {
  check "an empty test file, a folder, a missing file and --fail-under nan are exit 2, never a pass"
  : > "$TMP/empty.yaml"
  gw -C "$ACME" test "$TMP/empty.yaml"
  expect_no_crash
  expect_status 2
  expect_output_has "$TMP/empty.yaml:1:1: error[GW119]: the test file is empty: expected a mapping with a 'tests' list"
  mkdir "$TMP/folder"
  gw -C "$ACME" test "$TMP/folder/"
  expect_status 2
  expect_output_has "error[GW113]: 'folder' is not a regular file"
  gw -C "$ACME" test "$TMP/missing.yaml"
  expect_status 2
  expect_output_has "$TMP/missing.yaml:1:1: error[GW113]: 'missing.yaml' does not exist"
  # NaN compares false with everything: accepted, it would never trip.
  gw -C "$ACME" test --fail-under nan
  expect_status 2
  expect_output_has "--fail-under: PCT must be a number from 0 to 100, not 'nan'"
  expect_stdout_empty
}

run_cases case_example_suite_formats case_fail_under case_layout_tests_and_files case_output_atomic \
  case_keys_never_printed case_unusable_input
