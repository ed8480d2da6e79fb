#include "common.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "gwctl/artifact.hpp"
#include "gwctl/git.hpp"

namespace gwctl::cli {

void error(const std::string& message) {
  fmt::print(stderr, "gwctl: error: {}\n", message);
}

void exit_now(int code) {
  bool flushed = std::fflush(stdout) == 0 && !std::ferror(stdout);
  std::fflush(stderr);
  std::_Exit(flushed ? code : failure);
}

void print_diagnostics(const GlobalOptions& global, const Diagnostics& diags, const SourceSet& sources) {
  std::string text = render_diagnostics(diags, sources, RenderOptions{use_color(global, 2)});
  if (!text.empty()) fmt::print(stderr, "{}", text);
}

bool unreadable_input(const Diagnostic& d) {
  // GW117: a rule file that cannot be used; passing without it would be a silent pass.
  return d.severity == Severity::error && (d.rule == "GW113" || d.rule == "GW117");
}

CLI::Validator revision_given() {
  return CLI::Validator(
      [](const std::string& value) { return value.empty() ? std::string("the revision is empty") : std::string(); }, "",
      "revision_given");
}

bool use_color(const GlobalOptions& global, int fd) {
  if (global.color == "always") return true;
  if (global.color == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  return ::isatty(fd) != 0;
}

std::optional<LoadedProject> load_from(std::unique_ptr<FileReader> reader, std::optional<std::string> commit,
                                       const std::vector<std::string>& rule_dirs) {
  LoadedProject lp;
  lp.reader = std::move(reader);
  ProjectOptions options;
  for (const auto& dir : rule_dirs) {
    auto rules = std::make_unique<DiskReader>(dir);
    if (!rules->root_ok()) {
      error(fmt::format("cannot read the rule folder '{}': not a directory", dir));
      return std::nullopt;
    }
    options.extra_rule_dirs.push_back({dir, rules.get()});
    lp.rule_readers.push_back(std::move(rules));
  }
  auto project = load_project(*lp.reader, options, lp.diags);
  if (!project) {
    error(project.error().message);
    return std::nullopt;
  }
  lp.project = std::move(*project);
  if (commit) {
    lp.project.commit = std::move(commit);
    lp.project.dirty = false;
  }
  return lp;
}

namespace {
// HEAD's commit and the uncommitted paths, when the config root is in a Git repository.
bool record_work_tree_state(const GlobalOptions& global, Project& project) {
  auto repo = GitRepository::open(global.root);
  if (!repo) return true;  // not in Git: commit and dirty stay null
  auto state = (*repo)->work_tree_state();
  if (!state) {
    error(state.error().message);
    return false;
  }
  project.commit = state->head;
  project.uncommitted = std::move(state->changed);
  return true;
}
}  // namespace

std::optional<LoadedProject> load(const GlobalOptions& global, const SourceSpec& source,
                                  const std::vector<std::string>& rule_dirs) {
  if (source.kind == SourceSpec::Kind::work_tree) {
    auto disk = std::make_unique<DiskReader>(global.root);
    if (!disk->root_ok()) {
      error(fmt::format("cannot read the config root '{}': not a directory", global.root));
      return std::nullopt;
    }
    auto loaded = load_from(std::move(disk), std::nullopt, rule_dirs);
    if (loaded && source.record_git && !record_work_tree_state(global, loaded->project)) return std::nullopt;
    return loaded;
  }
  auto repo = GitRepository::open(global.root);
  if (!repo) {
    error(repo.error().message);
    return std::nullopt;
  }
  if (source.kind == SourceSpec::Kind::index) {
    auto reader = (*repo)->index_reader();
    if (!reader) {
      error(reader.error().message);
      return std::nullopt;
    }
    return load_from(std::move(*reader), std::nullopt, rule_dirs);
  }
  auto rev = (*repo)->resolve(source.revision);
  if (!rev) {
    error(rev.error().message);
    return std::nullopt;
  }
  auto reader = (*repo)->commit_reader(*rev, std::nullopt);
  if (!reader) {
    error(reader.error().message);
    return std::nullopt;
  }
  return load_from(std::move(*reader), rev->sha, rule_dirs);
}

bool check_env(const Project& project, const std::string& env) {
  const auto& envs = project.settings.environments;
  if (std::find(envs.begin(), envs.end(), env) != envs.end()) return true;
  std::string guess = did_you_mean(env, envs);
  error(fmt::format("unknown environment '{}'{}; environments: {}", env,
                    guess.empty() ? "" : fmt::format(" (did you mean '{}'?)", guess),
                    envs.empty() ? "none" : fmt::format("{}", fmt::join(envs, ", "))));
  return false;
}

std::optional<std::vector<FlagOverride>> parse_flags(const Project& project, const std::vector<std::string>& values) {
  std::vector<FlagOverride> out;
  for (const auto& v : values) {
    FlagOverride o;
    auto eq = v.find('=');
    o.name = v.substr(0, eq);
    if (eq != std::string::npos) {
      std::string val = v.substr(eq + 1);
      if (val == "true" || val == "on")
        o.on = true;
      else if (val == "false" || val == "off")
        o.on = false;
      else {
        error(fmt::format("--flag {}: the value must be true or false", v));
        return std::nullopt;
      }
    }
    if (!project.flags.count(o.name)) {
      std::string guess = did_you_mean(o.name, project.flag_names);
      error(fmt::format("unknown flag '{}'{}; flags: {}", o.name,
                        guess.empty() ? "" : fmt::format(" (did you mean '{}'?)", guess),
                        project.flag_names.empty() ? "none" : fmt::format("{}", fmt::join(project.flag_names, ", "))));
      return std::nullopt;
    }
    out.push_back(o);
  }
  return out;
}

VariantRun run_variant(const GlobalOptions& global, const std::string& env, const std::vector<std::string>& flags,
                       Stage stage, const SourceSpec& source) {
  VariantRun run;
  run.loaded = load(global, source);
  if (!run.loaded) return run;
  const Project& project = run.loaded->project;
  if (!check_env(project, env)) return run;
  auto overrides = parse_flags(project, flags);
  if (!overrides) return run;
  Pipeline pipeline(project);
  run.result = pipeline.run(env, *overrides, stage);
  Diagnostics diags = load_diagnostics_for(project, run.loaded->diags, run.result.variant);
  diags.append(run.result.diags);
  print_diagnostics(global, diags, project.sources);
  if (std::any_of(diags.all().begin(), diags.all().end(), unreadable_input)) return run;
  if (diags.has_errors()) {
    run.exit = gate;
    run.result.diags = std::move(diags);
    return run;
  }
  run.ok = true;
  run.exit = ok;
  return run;
}

bool write_output(const std::string& path, const std::string& content) {
  if (path.empty() || path == "-") {
    std::fwrite(content.data(), 1, content.size(), stdout);
    std::fflush(stdout);
    if (std::ferror(stdout)) {
      error("cannot write to standard output");
      return false;
    }
    return true;
  }
  auto r = write_file_atomic(path, content);
  if (!r) {
    error(r.error().message);
    return false;
  }
  return true;
}

std::optional<std::string> read_input(const std::string& path) {
  // Far above any real artifact (10,000 routes compile to a few MiB); a cap so that a wrong
  // path (a disk image, /dev/zero) is refused instead of read.
  constexpr std::uintmax_t max_bytes = 1024ull * 1024 * 1024;
  auto text = read_input_file(path, max_bytes);
  if (!text) {
    error(text.error().message);
    return std::nullopt;
  }
  return std::move(*text);
}

}  // namespace gwctl::cli
