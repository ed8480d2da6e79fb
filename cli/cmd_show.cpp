// gwctl show: the effective merged config of one environment, optionally with provenance.
#include <fmt/format.h>

#include "common.hpp"
#include "gwctl/policy.hpp"
#include "gwctl/report.hpp"
#include "gwctl/schema.hpp"
#include "gwctl/show.hpp"

namespace gwctl::cli {

namespace {

struct ShowArgs {
  std::string env;
  std::vector<std::string> flags;
  bool provenance = false;
  std::string format = "yaml";
  bool spend = false;
};

std::string usd(double v) {
  std::string digits = fmt::format("{:.2f}", v);
  std::string out;
  std::size_t dot = digits.find('.');
  for (std::size_t i = 0; i < dot; ++i) {
    if (i > 0 && (dot - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return "$" + out + digits.substr(dot);
}

// Each route's worst-case daily spend under its limits, as YAML comments (they change nothing
// in the YAML above them).
std::string spend_table(const std::vector<RouteSpend>& spend, const std::string& env) {
  std::size_t width = 5;
  for (const auto& s : spend) width = std::max(width, s.route.size());
  std::string out = fmt::format("# Worst-case daily spend in '{}' under each route's limits and budget (USD):\n", env);
  for (const auto& s : spend) {
    std::string what;
    if (!s.priced) {
      what = "no priced models";
    } else if (!s.bounded) {
      what = "unbounded: no budget, token limit or request limit caps it";
    } else {
      what = fmt::format("{}/day, capped by its {}", usd(s.usd_per_day), s.bound_by);
    }
    out += fmt::format("#   {:<{}}  {}\n", s.route, width, what);
  }
  return out;
}

nlohmann::json spend_json(const std::vector<RouteSpend>& spend, const std::string& env) {
  nlohmann::json routes = nlohmann::json::array();
  for (const auto& s : spend) {
    routes.push_back({{"route", s.route},
                      {"priced", s.priced},
                      {"bounded", s.bounded},
                      {"usd_per_day", s.bounded && s.priced ? nlohmann::json(s.usd_per_day) : nlohmann::json(nullptr)},
                      {"bound_by", s.bound_by.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.bound_by)}});
  }
  return {{"format_version", 1}, {"environment", env}, {"routes", routes}};
}

int run_show(const GlobalOptions& global, const ShowArgs& args) {
  VariantRun run = run_variant(global, args.env, args.flags, Stage::merge);
  if (!run.ok) return run.exit;
  const SourceSet& sources = run.loaded->project.sources;
  // The spend needs the effective model, so a config that does not compile shows none.
  PipelineResult compiled = Pipeline(run.loaded->project).run(run.result.variant, Stage::emit);
  std::optional<std::vector<RouteSpend>> spend;
  if (compiled.artifact.is_object()) spend = worst_case_spend(compiled.artifact["config"]);
  if (args.spend) {
    if (!spend) {
      fmt::print(stderr, "{}", render_diagnostics(compiled.diags, sources, RenderOptions{use_color(global, 2)}));
      error(fmt::format("environment '{}' does not compile; its spend cannot be computed", args.env));
      exit_now(gate);
    }
    std::string out =
        args.format == "json" ? spend_json(*spend, args.env).dump(2) + "\n" : spend_table(*spend, args.env);
    exit_now(write_output("", out) ? ok : failure);
  }
  NodePtr shown = redact_secret_literals(run.result.merged.root, Schema::config());
  std::string out = args.format == "json" ? show_json(*shown, sources, args.provenance).dump(2) + "\n"
                                          : show_yaml(*shown, sources, args.provenance);
  if (args.format != "json" && spend) out += "\n" + spend_table(*spend, args.env);
  exit_now(write_output("", out) ? ok : failure);
}

}  // namespace

Command register_show(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<ShowArgs>();
  CLI::App* sub = app.add_subcommand("show", "Print the effective merged config of an environment");
  sub->add_option("--env", args->env, "Environment to show")->required()->type_name("ENV");
  sub->add_option("--flag", args->flags, "Turn a flag on (NAME) or off (NAME=false) (repeatable)")->type_name("FLAG");
  sub->add_flag("--provenance", args->provenance, "Annotate every value with the file:line:col that set it");
  sub->add_option("--format", args->format, "Output format: yaml or json")->check(CLI::IsMember({"yaml", "json"}));
  sub->add_flag("--spend", args->spend, "Print only each route's worst-case daily spend under its limits");
  return {sub, [&global, args] { return run_show(global, *args); }};
}

}  // namespace gwctl::cli
