// Route tests: `gwctl test` (DESIGN.md section 5). A test file (tests/*.yaml, schema
// schemas/tests.schema.json) lists requests and the decisions expected of them; the runner
// compiles each environment (and flag set) a test names, loads the artifact into gwd's own
// decision library with every secret replaced by a fake value derived from its name, and sends
// each request through the sequence gwd runs (gwd/request.hpp): route, auth, scope, limits,
// body and model, then the retry / fallback plan against the upstream outcomes the test
// scripts. No network, a fixed random seed, fresh rate-limit counters per test.
//
// Coverage is counted per environment over that environment's routes: the branches of each
// route (matched, direct response, forwarded, auth refused, scope refused, limit reached, each
// fallback edge of each model it serves) that some test exercised.
//
// The stages: load_route_tests (file → RouteTestFile, GW1xx diagnostics, GW119 for a test
// that names something unknown) → run_route_tests (→ TestReport) → render_tests_*.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gwctl/diagnostic.hpp"
#include "gwctl/load.hpp"
#include "gwctl/pipeline.hpp"
#include "gwctl/project.hpp"
#include "gwctl/source.hpp"

namespace gwctl {

// An upstream outcome a test scripts for a model alias.
struct ScriptedOutcome {
  enum class Kind : std::uint8_t { status, timeout, connect_error };
  Kind kind = Kind::status;
  int status = 200;
};

template <typename T>
struct Expectation {
  T value{};
  Span span;  // the expectation's value, for failure messages
};

struct RouteTest {
  std::string name;
  Span span;  // the test's `name`
  std::optional<std::string> env;
  Span env_span;
  std::vector<FlagOverride> flags;
  std::vector<Span> flag_spans;

  struct Request {
    std::string method = "POST";
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<std::string> consumer;
    Span consumer_span;
    std::optional<std::string> api_key;
    bool x_api_key = false;  // key_header: x-api-key
    nlohmann::json body = nlohmann::json::object();
    int repeat = 1;
  } request;

  struct Upstream {
    std::string alias;
    Span span;
    ScriptedOutcome outcome;
  };
  std::vector<Upstream> upstream;

  struct Expect {
    std::optional<Expectation<std::optional<std::string>>> route;  // inner nullopt: no route
    std::optional<Expectation<int>> status;
    std::optional<Expectation<std::string>> error;
    std::optional<Expectation<std::optional<std::string>>> consumer;
    std::optional<Expectation<std::string>> model;
    std::optional<Expectation<std::vector<std::pair<std::string, double>>>> deployments;  // weight in percent
    std::optional<Expectation<std::vector<std::string>>> attempts;
    std::optional<Expectation<std::string>> upstream_deployment;
    std::optional<Expectation<std::string>> upstream_model;
    std::optional<Expectation<std::string>> upstream_auth;
    std::optional<Expectation<std::string>> upstream_path;
    std::optional<Expectation<std::int64_t>> retry_after;  // ms
  } expect;
};

struct RouteTestFile {
  std::uint32_t file = Span::no_file;
  std::vector<RouteTest> tests;
};

// Parses and validates a test file already registered in `sources`: YAML errors, unknown keys
// and wrong types are diagnostics at their line; nullopt when the file cannot be used.
std::optional<RouteTestFile> parse_route_tests(const SourceSet& sources, std::uint32_t file, const LoadLimits& limits,
                                               Diagnostics& diags);

// Reads `path` through `reader` (layer "tests") and parses it.
std::optional<RouteTestFile> load_route_tests(const FileReader& reader, const std::string& path, SourceSet& sources,
                                              Diagnostics& diags);

// The *.yaml and *.yml files of folder `dir`, in lexical order; an IoError when the folder
// cannot be listed.
Expected<std::vector<std::string>> list_route_test_files(const FileReader& reader, const std::string& dir);

// ---------------------------------------------------------------------------------------------

struct RouteTestOptions {
  std::optional<std::string> env;  // --env: only this environment
  std::uint64_t seed = 1;          // the deployment choice's random seed
};

// What a test's last request got.
struct TestActual {
  std::optional<std::string> route;
  int status = 0;
  std::string error;          // the gateway's error type, when it answered itself
  std::string error_message;  // never holds a key
  std::optional<std::string> consumer;
  std::optional<std::string> model;
  std::vector<std::pair<std::string, int>> deployments;  // provider/id, weight in basis points
  std::vector<std::string> attempts;
  bool forwarded = false;
  std::string upstream_deployment, upstream_model, upstream_auth, upstream_path;
  std::int64_t retry_after = 0;  // ms, as gwd computes it
};

struct Mismatch {
  std::string field;  // "status", "upstream.model"
  std::string expected;
  std::string actual;
  Span span;  // the expectation
};

struct TestResult {
  const RouteTest* test = nullptr;
  std::uint32_t file = Span::no_file;
  std::string env;
  std::vector<std::string> flags;  // the test's overrides, as written
  TestActual actual;
  std::vector<Mismatch> mismatches;
  bool passed() const { return mismatches.empty(); }
};

struct CoverageBranch {
  std::string route;
  std::string branch;  // "matched", "respond", "forwarded", "auth", "scope", "limit", "fallback a -> b"
  bool covered = false;
};

struct EnvCoverage {
  std::string env;
  std::size_t routes = 0, routes_covered = 0;  // a route is covered when some test matched it
  std::vector<CoverageBranch> branches;        // routes in config order, branches in the order above
  std::size_t covered() const;
};

struct Coverage {
  std::vector<EnvCoverage> envs;
  std::size_t covered() const;
  std::size_t total() const;
  double percent() const;  // 100 when there is nothing to cover
};

struct TestReport {
  std::vector<TestResult> results;
  Coverage coverage;
  std::size_t failed() const;
};

// Runs every test in the environments it applies to: its own `env`; else --env when given,
// else every configured environment. A test naming an unknown environment, flag, consumer,
// route or model is a GW119 diagnostic, and so is an environment that does not compile (its
// errors are appended); the report is then incomplete and the caller stops (exit 2).
TestReport run_route_tests(const Project& project, const std::vector<RouteTestFile>& files,
                           const RouteTestOptions& options, Diagnostics& diags);

// The coverage branches of one compiled environment (its artifact's "config"), none covered.
EnvCoverage coverage_branches(const std::string& env, const nlohmann::json& config);

// ---------------------------------------------------------------------------------------------

struct TestRenderOptions {
  bool color = false;
  std::optional<double> fail_under;
};

// One line per test run (PASS/FAIL), each mismatch under a failure, a summary, the coverage
// table and the untested branches.
std::string render_tests_text(const TestReport& report, const SourceSet& sources, const TestRenderOptions& options);
// format_version 1.
nlohmann::json render_tests_json(const TestReport& report, const SourceSet& sources, const TestRenderOptions& options);
// JUnit XML: a testsuite per file, a testcase per test run.
std::string render_tests_junit(const TestReport& report, const SourceSet& sources);

}  // namespace gwctl
