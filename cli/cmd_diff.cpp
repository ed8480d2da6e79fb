// gwctl diff: what a change does to each environment's effective gateway, with its risk.
//
//   gwctl diff [--base REV] [--head REV | --staged] [--env E]… [--format text|json|markdown]
//   gwctl diff OLD.json NEW.json
#include <thread>

#include <fmt/format.h>

#include "common.hpp"
#include "git_sources.hpp"
#include "gwctl/artifact.hpp"
#include "gwctl/git.hpp"
#include "gwctl/project_diff.hpp"
#include "gwctl/semantic_diff.hpp"

namespace gwctl::cli {

namespace {

struct DiffArgs {
  std::vector<std::string> files;
  std::string base;
  std::string head;
  bool staged = false;
  bool no_merge_base = false;
  std::vector<std::string> envs;
  std::string format = "text";
  std::string fail_on = "never";
  std::string output;
};

// Writes the report and turns its risk into the exit code.
int finish(const GlobalOptions& global, const DiffArgs& args, const DiffReport& report, int floor) {
  std::string text;
  if (args.format == "json") {
    text = render_diff_json(report);
  } else if (args.format == "markdown") {
    text = render_diff_markdown(report);
  } else {
    bool to_terminal = args.output.empty() || args.output == "-";
    text = render_diff_text(report, to_terminal && use_color(global, 1));
  }
  if (!write_output(args.output, text)) return failure;
  if (floor != ok) return floor;
  if (args.fail_on == "never") return ok;
  Risk threshold = *parse_risk(args.fail_on);
  return report.risk >= threshold ? gate : ok;
}

std::string text_of(const nlohmann::json& object, const char* key, const char* fallback) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::optional<nlohmann::json> read_artifact(const std::string& path) {
  // An artifact nests a few levels; the comparison recurses, so a hostile file nested deeper
  // than a config may be (LoadLimits) is refused before it is compared.
  const int max_depth = static_cast<int>(LoadLimits{}.max_depth);
  auto text = read_input(path);
  if (!text) return std::nullopt;
  bool too_deep = false;
  nlohmann::json a = nlohmann::json::parse(
      *text,
      [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        too_deep = too_deep || depth > max_depth;
        return !too_deep;
      },
      false);
  if (too_deep) {
    error(fmt::format("'{}' is nested more than {} levels deep: not an artifact made by 'gwctl compile'", path,
                      max_depth));
    return std::nullopt;
  }
  if (a.is_discarded() || !a.is_object()) {
    error(fmt::format("'{}' is not JSON: expected an artifact made by 'gwctl compile'", path));
    return std::nullopt;
  }
  if (text_of(a, "format", "") != artifact_format || !a.contains("config") || !a["config"].is_object()) {
    error(fmt::format("'{}' is not a gwctl artifact (format '{}')", path, artifact_format));
    return std::nullopt;
  }
  return a;
}

std::string artifact_label(const std::string& path, const nlohmann::json& a) {
  return fmt::format("{} ({}, {})", path, text_of(a, "environment", "?"), text_of(a, "digest", "").substr(0, 19));
}

int diff_artifact_files(const GlobalOptions& global, const DiffArgs& args) {
  if (!args.base.empty() || !args.head.empty() || args.staged || !args.envs.empty()) {
    error("--base, --head, --staged and --env do not apply when comparing two artifact files");
    return failure;
  }
  auto a = read_artifact(args.files[0]);
  if (!a) return failure;
  auto b = read_artifact(args.files[1]);
  if (!b) return failure;
  DiffReport report;
  report.base_label = artifact_label(args.files[0], *a);
  report.head_label = artifact_label(args.files[1], *b);
  report.envs.push_back(diff_artifacts(*a, *b));
  summarize(report);
  exit_now(finish(global, args, report, ok));
}

int diff_git(const GlobalOptions& global, const DiffArgs& args) {
  if (args.staged && !args.head.empty()) {
    error("--staged and --head are alternatives: the head is the index or a revision");
    return failure;
  }
  auto repo_or = GitRepository::open(global.root);
  if (!repo_or) {
    error(repo_or.error().message);
    return failure;
  }
  const GitRepository& repo = **repo_or;

  // The head: a revision, the index, or the work tree.
  std::optional<Revision> head_rev;
  std::unique_ptr<FileReader> head_reader;
  std::string head_label;
  if (!args.head.empty()) {
    auto r = repo.resolve(args.head);
    if (!r) {
      error(r.error().message);
      return failure;
    }
    head_rev = *r;
    auto reader = repo.commit_reader(*head_rev, std::nullopt);
    if (!reader) {
      error(reader.error().message);
      return failure;
    }
    head_reader = std::move(*reader);
    head_label = fmt::format("{} ({})", head_rev->spec, head_rev->short_sha());
  } else if (args.staged) {
    auto reader = repo.index_reader();
    if (!reader) {
      error(reader.error().message);
      return failure;
    }
    head_reader = std::move(*reader);
    head_label = "index (staged)";
  } else {
    auto disk = std::make_unique<DiskReader>(global.root);
    if (!disk->root_ok()) {
      error(fmt::format("cannot read the config root '{}': not a directory", global.root));
      return failure;
    }
    head_reader = std::move(disk);
    head_label = "work tree";
  }

  // The base: a revision, by default through its merge base with the head's commit. Both
  // sides load at once.
  std::optional<BaseLoad> base;
  std::optional<LoadedProject> head_loaded;
  {
    std::thread t(
        [&] { base = load_base(repo, args.base.empty() ? "HEAD" : args.base, head_rev, args.no_merge_base); });
    head_loaded =
        load_from(std::move(head_reader), head_rev ? std::optional<std::string>(head_rev->sha) : std::nullopt);
    t.join();
  }
  if (!base || !head_loaded) return failure;
  LoadedProject* base_loaded = &base->loaded;
  const std::string& base_label = base->label;
  for (const auto& env : args.envs) {
    bool known = false;
    for (const Project* p : {&base_loaded->project, &head_loaded->project}) {
      const auto& e = p->settings.environments;
      known = known || std::find(e.begin(), e.end(), env) != e.end();
    }
    if (!known && !check_env(head_loaded->project, env)) return failure;
  }

  ProjectDiffOptions options;
  options.envs = args.envs;
  ProjectDiff diff =
      diff_projects(base_loaded->project, base_loaded->diags, head_loaded->project, head_loaded->diags, options);
  diff.report.base_label = base_label;
  diff.report.head_label = head_label;
  int floor = ok;
  if (diff.base_failed || diff.unreadable) {
    print_diagnostics(global, diff.base_diags, base_loaded->project.sources);
  }
  if (diff.head_failed || diff.unreadable) {
    print_diagnostics(global, diff.head_diags, head_loaded->project.sources);
  }
  if (diff.unreadable) {
    error("some files could not be read; the diff is incomplete");
    floor = failure;
  } else if (diff.base_failed) {
    error(fmt::format("the base ({}) does not compile; environments marked 'failed' were not compared", base_label));
    floor = failure;
  } else if (diff.head_failed) {
    error(fmt::format("the head ({}) has errors; environments marked 'failed' were not compared (see 'gwctl lint')",
                      head_label));
    floor = gate;
  }
  exit_now(finish(global, args, diff.report, floor));
}

int run_diff(const GlobalOptions& global, const DiffArgs& args) {
  if (args.files.size() == 2) return diff_artifact_files(global, args);
  if (!args.files.empty()) {
    error("give two artifact files to compare (OLD.json NEW.json), or none to compare Git revisions");
    return failure;
  }
  return diff_git(global, args);
}

}  // namespace

Command register_diff(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<DiffArgs>();
  CLI::App* sub = app.add_subcommand("diff", "Semantic diff of the effective config per environment, with risk");
  sub->add_option("artifacts", args->files, "Two compiled artifacts to compare instead (OLD.json NEW.json)")
      ->type_name("FILE");
  sub->add_option("--base", args->base,
                  "Base revision (default HEAD); compared from its merge base with the head's commit")
      ->type_name("REV")
      ->check(revision_given());
  sub->add_option("--head", args->head, "Head revision (default: the work tree)")
      ->type_name("REV")
      ->check(revision_given());
  sub->add_flag("--staged", args->staged, "Head is the index: what the next commit will contain");
  sub->add_flag("--no-merge-base", args->no_merge_base, "Compare with the base revision itself, not the merge base");
  sub->add_option("--env", args->envs, "Only this environment (repeatable; default: every environment)")
      ->type_name("ENV");
  sub->add_option("--format", args->format, "Output format: text, json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
  sub->add_option("--fail-on", args->fail_on, "Lowest risk that fails the run (exit 1): high, medium, low or never")
      ->check(CLI::IsMember({"high", "medium", "low", "never"}));
  sub->add_option("-o,--output", args->output, "Write the report to FILE (atomically) instead of stdout")
      ->type_name("FILE");
  return {sub, [&global, args] { return run_diff(global, *args); }};
}

}  // namespace gwctl::cli
