// gwctl lint: every environment, and every flag overlay on top of every environment.
#include <ctime>
#include <optional>

#include <fmt/format.h>

#include "common.hpp"
#include "git_sources.hpp"
#include "gwctl/lint.hpp"

namespace gwctl::cli {

namespace {

// The one place lint reads the clock: suppressions' `until=` dates.
std::string today_utc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

struct LintArgs {
  std::vector<std::string> envs;
  std::vector<std::string> flags;
  std::string format = "text";
  std::string output;
  std::string fail_on = "error";
  std::vector<std::string> rules;
  std::string baseline;
  std::string write_baseline;
  bool staged = false;
  std::string changed_since;
};

// Reads a baseline file given on the command line; exits 2 when it cannot (missing, a
// directory, unreadable, malformed).
std::optional<Baseline> read_baseline(const std::string& path) {
  auto text = read_input(path);
  if (!text) return std::nullopt;
  std::string problem;
  auto b = parse_baseline(*text, problem);
  if (!b) error(fmt::format("the baseline '{}' is malformed: {}", path, problem));
  return b;
}

int run_lint(const GlobalOptions& global, const LintArgs& args) {
  auto loaded = load(global, args.staged ? SourceSpec{SourceSpec::Kind::index, ""} : SourceSpec{}, args.rules);
  if (!loaded) return failure;
  std::optional<Baseline> baseline;
  if (!args.baseline.empty()) {
    baseline = read_baseline(args.baseline);
    if (!baseline) return failure;
  }
  const Project& project = loaded->project;
  for (const auto& env : args.envs) {
    if (!check_env(project, env)) return failure;
  }
  auto overrides = parse_flags(project, args.flags);
  if (!overrides) return failure;

  LintOptions options;
  options.envs = args.envs;
  options.overrides = *overrides;
  options.today = today_utc();
  options.baseline = baseline ? &*baseline : nullptr;
  LintResult result = lint(project, loaded->diags, options);
  if (!args.write_baseline.empty()) {
    // What is found now, including what --baseline already accepted.
    if (!write_output(args.write_baseline, baseline_to_json(make_baseline(result, project.sources)).dump(2) + "\n")) {
      return failure;
    }
  }
  if (!args.changed_since.empty() && !keep_changed_since(global, args.changed_since, *loaded, result)) return failure;

  std::string text;
  // Location-less findings (a missing layer folder…) are placed at the project file.
  const std::string fallback = "gwctl.yaml";
  if (args.format == "json") {
    text = render_findings_json(result, project.sources).dump(2) + "\n";
  } else if (args.format == "sarif") {
    text = render_findings_sarif(result, project.sources, fallback).dump(2) + "\n";
  } else if (args.format == "junit") {
    text = render_findings_junit(result, project.sources, fallback);
  } else if (args.format == "github") {
    text = render_findings_github(result, project.sources);
  } else if (args.format == "gitlab") {
    text = render_findings_gitlab(result, project.sources, fallback).dump(2) + "\n";
  } else {
    bool to_terminal = args.output.empty() || args.output == "-";
    RenderOptions render{to_terminal && use_color(global, 1)};
    text = render_findings_text(result, project.sources, render);
  }
  if (!write_output(args.output, text)) return failure;

  for (const auto& f : result.findings) {
    if (unreadable_input(f.diag)) exit_now(failure);
  }
  if (args.fail_on == "never") exit_now(ok);
  Severity threshold = *parse_severity(args.fail_on);
  for (const auto& f : result.findings) {
    if (f.diag.severity >= threshold) exit_now(gate);
  }
  exit_now(ok);
}

}  // namespace

Command register_lint(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<LintArgs>();
  CLI::App* sub = app.add_subcommand("lint", "Check every environment and flag overlay; exit 1 on findings");
  sub->add_option("--env", args->envs, "Only this environment (repeatable)")->type_name("ENV");
  sub->add_option("--flag", args->flags, "Turn a flag on (NAME) or off (NAME=false) everywhere (repeatable)")
      ->type_name("FLAG");
  sub->add_option("--format", args->format, "Output format: text, json, sarif, junit, github or gitlab")
      ->check(CLI::IsMember({"text", "json", "sarif", "junit", "github", "gitlab"}));
  sub->add_option("-o,--output", args->output, "Write the report to FILE (atomically) instead of stdout")
      ->type_name("FILE");
  sub->add_option("--fail-on", args->fail_on, "Lowest severity that fails the run: error, warning, info or never")
      ->check(CLI::IsMember({"error", "warning", "info", "never"}));
  sub->add_option("--rules", args->rules, "Also run the declarative rules in DIR (repeatable)")->type_name("DIR");
  sub->add_option("--baseline", args->baseline, "Do not report findings listed in FILE; report its stale entries")
      ->type_name("FILE");
  sub->add_option("--write-baseline", args->write_baseline, "Write the current findings to FILE as a baseline")
      ->type_name("FILE");
  sub->add_flag("--staged", args->staged, "Lint the staged content (the Git index), not the work tree");
  sub->add_option("--changed-since", args->changed_since,
                  "Report only findings in entities and files changed since REV (its merge base with HEAD)")
      ->type_name("REV")
      ->check(revision_given());
  return {sub, [&global, args] { return run_lint(global, *args); }};
}

}  // namespace gwctl::cli
