// How route test results look: text for people, JSON (format_version 1) and JUnit XML for CI.
#include <map>

#include <fmt/format.h>

#include "gwctl/route_test.hpp"
#include "text_style.hpp"

namespace gwctl {

namespace {

using json = nlohmann::json;

std::string where(const SourceSet& sources, std::uint32_t file, const Span& span) {
  const std::string& path = sources.file(file).path;
  return span.valid() ? fmt::format("{}:{}", path, span.line) : path;
}

// "[prod]", "[dev +canary-gpt-4o]".
std::string variant_label(const TestResult& r) {
  std::string out = "[" + r.env;
  for (const std::string& f : r.flags) out += " +" + f;
  return out + "]";
}

std::string pct(double p) {
  return fmt::format("{:.1f}%", p);
}

double percent_of(std::size_t covered, std::size_t total) {
  return total == 0 ? 100.0 : 100.0 * static_cast<double>(covered) / static_cast<double>(total);
}

std::string mismatch_line(const Mismatch& m) {
  return fmt::format("{}: expected {}, got {}", m.field, m.expected, m.actual);
}

}  // namespace

std::string render_tests_text(const TestReport& report, const SourceSet& sources, const TestRenderOptions& options) {
  text::Ansi p{options.color};
  std::string out;
  for (const TestResult& r : report.results) {
    std::string status = r.passed() ? p.wrap("1;32", "PASS") : p.wrap("1;31", "FAIL");
    out += fmt::format("{} {}: {} {}\n", status, where(sources, r.file, r.test->span), r.test->name, variant_label(r));
    for (const Mismatch& m : r.mismatches)
      out += fmt::format("  {}: {}\n", where(sources, r.file, m.span), mismatch_line(m));
  }
  std::size_t failed = report.failed();
  out += fmt::format("\n{} run: {} passed, {} failed\n", text::plural(report.results.size(), "test"),
                     report.results.size() - failed, failed);

  const Coverage& cov = report.coverage;
  out += "\nroute coverage (branches exercised):\n";
  out += fmt::format("  {:<12} {:>11} {:>13} {:>8}\n", "environment", "routes", "branches", "percent");
  for (const EnvCoverage& e : cov.envs) {
    out += fmt::format("  {:<12} {:>11} {:>13} {:>8}\n", e.env, fmt::format("{}/{}", e.routes_covered, e.routes),
                       fmt::format("{}/{}", e.covered(), e.branches.size()),
                       pct(percent_of(e.covered(), e.branches.size())));
  }
  out += fmt::format("  {:<12} {:>11} {:>13} {:>8}\n", "total", "", fmt::format("{}/{}", cov.covered(), cov.total()),
                     pct(cov.percent()));
  bool header = false;
  for (const EnvCoverage& e : cov.envs) {
    // One line per route: its untested branches.
    std::map<std::string, std::vector<std::string>> untested;
    std::vector<std::string> order;
    for (const CoverageBranch& b : e.branches) {
      if (b.covered) continue;
      if (!untested.count(b.route)) order.push_back(b.route);
      untested[b.route].push_back(b.branch);
    }
    for (const std::string& route : order) {
      if (!header) out += "untested:\n";
      header = true;
      std::string list;
      for (const std::string& b : untested[route]) list += (list.empty() ? "" : ", ") + b;
      out += fmt::format("  {} {}: {}\n", e.env, route, list);
    }
  }
  if (options.fail_under && cov.percent() < *options.fail_under) {
    out += fmt::format("coverage {} is under --fail-under {}\n", pct(cov.percent()), pct(*options.fail_under));
  }
  return out;
}

json render_tests_json(const TestReport& report, const SourceSet& sources, const TestRenderOptions& options) {
  json tests = json::array();
  for (const TestResult& r : report.results) {
    const TestActual& a = r.actual;
    json actual = {
        {"route", a.route ? json(*a.route) : json()},        {"status", a.status},
        {"error", a.error.empty() ? json() : json(a.error)}, {"consumer", a.consumer ? json(*a.consumer) : json()},
        {"model", a.model ? json(*a.model) : json()},        {"attempts", a.attempts}};
    json deployments = json::array();
    for (const auto& [d, bp] : a.deployments) deployments.push_back({{"deployment", d}, {"weight", bp / 100.0}});
    actual["deployments"] = deployments;
    actual["upstream"] = a.forwarded ? json{{"deployment", a.upstream_deployment},
                                            {"model", a.upstream_model},
                                            {"auth", a.upstream_auth},
                                            {"path", a.upstream_path}}
                                     : json();
    actual["retry_after_ms"] = a.retry_after > 0 ? json(a.retry_after) : json();
    json failures = json::array();
    for (const Mismatch& m : r.mismatches) {
      failures.push_back({{"field", m.field},
                          {"expected", m.expected},
                          {"actual", m.actual},
                          {"line", m.span.valid() ? json(m.span.line) : json()}});
    }
    tests.push_back({{"name", r.test->name},
                     {"file", sources.file(r.file).path},
                     {"line", r.test->span.line},
                     {"env", r.env},
                     {"flags", r.flags},
                     {"result", r.passed() ? "pass" : "fail"},
                     {"failures", failures},
                     {"actual", actual}});
  }
  json envs = json::array();
  for (const EnvCoverage& e : report.coverage.envs) {
    json branches = json::array();
    for (const CoverageBranch& b : e.branches) {
      branches.push_back({{"route", b.route}, {"branch", b.branch}, {"covered", b.covered}});
    }
    envs.push_back({{"env", e.env},
                    {"routes", {{"covered", e.routes_covered}, {"total", e.routes}}},
                    {"branches_covered", e.covered()},
                    {"branches_total", e.branches.size()},
                    {"percent", percent_of(e.covered(), e.branches.size())},
                    {"branches", branches}});
  }
  std::size_t failed = report.failed();
  const Coverage& cov = report.coverage;
  return {
      {"format_version", 1},
      {"tests", tests},
      {"summary", {{"tests", report.results.size()}, {"passed", report.results.size() - failed}, {"failed", failed}}},
      {"coverage",
       {{"environments", envs},
        {"branches_covered", cov.covered()},
        {"branches_total", cov.total()},
        {"percent", cov.percent()},
        {"fail_under", options.fail_under ? json(*options.fail_under) : json()}}}};
}

std::string render_tests_junit(const TestReport& report, const SourceSet& sources) {
  // One testsuite per file, in the order the files were given.
  std::vector<std::uint32_t> files;
  std::map<std::uint32_t, std::vector<const TestResult*>> by_file;
  for (const TestResult& r : report.results) {
    if (!by_file.count(r.file)) files.push_back(r.file);
    by_file[r.file].push_back(&r);
  }
  std::size_t failed = report.failed();
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"gwctl test\" tests=\"{}\" failures=\"{}\">\n", report.results.size(), failed);
  for (std::uint32_t f : files) {
    const auto& results = by_file[f];
    std::size_t fails = 0;
    for (const TestResult* r : results) fails += r->passed() ? 0 : 1;
    const std::string& path = sources.file(f).path;
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n", text::xml_escape(path),
                       results.size(), fails);
    for (const TestResult* r : results) {
      std::string name = r->test->name + " " + variant_label(*r);
      out += fmt::format("    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"", text::xml_escape(name),
                         text::xml_escape(path), text::xml_escape(path), r->test->span.line);
      if (r->passed()) {
        out += "/>\n";
        continue;
      }
      std::string body;
      for (const Mismatch& m : r->mismatches) body += where(sources, f, m.span) + ": " + mismatch_line(m) + "\n";
      out += fmt::format(">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                         text::xml_escape(mismatch_line(r->mismatches.front())), text::xml_escape(body));
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace gwctl
