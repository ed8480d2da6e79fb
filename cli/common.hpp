// What every subcommand shares: global options, loading the project, writing output.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "gwctl/diagnostic.hpp"
#include "gwctl/pipeline.hpp"
#include "gwctl/project.hpp"
#include "gwctl/report.hpp"
#include "gwctl/source.hpp"

namespace gwctl::cli {

enum ExitCode : int { ok = 0, gate = 1, failure = 2 };

struct GlobalOptions {
  std::string root = ".";      // -C
  std::string color = "auto";  // auto | always | never; auto honours NO_COLOR and the TTY
};

// A subcommand's entry point, run after parsing when that subcommand was chosen.
using Runner = std::function<int()>;

struct Command {
  CLI::App* app;
  Runner run;
};

Command register_lint(CLI::App& app, const GlobalOptions& global);
Command register_compile(CLI::App& app, const GlobalOptions& global);
Command register_show(CLI::App& app, const GlobalOptions& global);
Command register_schema(CLI::App& app, const GlobalOptions& global);
Command register_init(CLI::App& app, const GlobalOptions& global);
Command register_explain(CLI::App& app, const GlobalOptions& global);
Command register_diff(CLI::App& app, const GlobalOptions& global);
Command register_keygen(CLI::App& app, const GlobalOptions& global);
Command register_sign(CLI::App& app, const GlobalOptions& global);
Command register_verify(CLI::App& app, const GlobalOptions& global);
Command register_promote(CLI::App& app, const GlobalOptions& global);
Command register_graph(CLI::App& app, const GlobalOptions& global);
Command register_test(CLI::App& app, const GlobalOptions& global);

bool use_color(const GlobalOptions& global, int fd);

// A check for options that name a Git revision (--ref, --base, --head): an empty value, as an
// unset CI variable gives, is a usage error rather than the option's default.
CLI::Validator revision_given();

struct LoadedProject {
  std::unique_ptr<FileReader> reader;
  Project project;
  Diagnostics diags;  // from loading
  std::vector<std::unique_ptr<DiskReader>> rule_readers;
};

// Where the config is read from: the work tree under -C (default), the Git index (staged
// content), or a revision's tree.
struct SourceSpec {
  enum class Kind { work_tree, index, revision };
  Kind kind = Kind::work_tree;
  std::string revision;  // for Kind::revision
  // For the work tree inside a Git repository: record HEAD's commit and which files differ
  // from it, for the artifact's `source` (compile). Outside Git both stay null.
  bool record_git = false;
};

// Loads the config root; prints why and returns nullopt when it cannot be read (exit 2).
// `rule_dirs`: extra folders of declarative rules (`lint --rules`), relative to the working
// directory.
std::optional<LoadedProject> load(const GlobalOptions& global, const SourceSpec& source = {},
                                  const std::vector<std::string>& rule_dirs = {});
// Loads through a reader made elsewhere (a revision, the index); `commit` goes into artifacts.
std::optional<LoadedProject> load_from(std::unique_ptr<FileReader> reader, std::optional<std::string> commit,
                                       const std::vector<std::string>& rule_dirs = {});

// Checks an --env value against the project; prints a "did you mean" and returns false.
bool check_env(const Project& project, const std::string& env);
// Parses "--flag NAME" / "--flag NAME=false" values; prints and returns nullopt on bad input.
std::optional<std::vector<FlagOverride>> parse_flags(const Project& project, const std::vector<std::string>& values);

// One environment through the pipeline for compile and show: load, check --env and --flag,
// run to `stage`, print the diagnostics that concern the variant on stderr. `exit` is the code
// to return when `ok` is false (2 for unusable input, 1 for errors).
struct VariantRun {
  std::optional<LoadedProject> loaded;
  PipelineResult result;
  bool ok = false;
  int exit = failure;
};
VariantRun run_variant(const GlobalOptions& global, const std::string& env, const std::vector<std::string>& flags,
                       Stage stage, const SourceSpec& source = {});

// Writes to `path` atomically, or to stdout when path is empty or "-". A device or a pipe
// (/dev/null) is written in place, never replaced; a directory is refused. Prints failures.
bool write_output(const std::string& path, const std::string& content);

void error(const std::string& message);
// Renders `diags` on stderr (file:line:col, source line, caret), coloured as stderr allows.
void print_diagnostics(const GlobalOptions& global, const Diagnostics& diags, const SourceSet& sources);

// The whole text of a file named on the command line (an artifact, a baseline); prints why and
// returns nullopt when it cannot be read (exit 2).
std::optional<std::string> read_input(const std::string& path);

// Ends the process at once with `code`, after flushing output, without running destructors:
// the OS takes back a large config's memory in one go, where freeing millions of nodes one by
// one costs a fifth of a big compile (compilers do the same). Output is flushed first; a
// failed flush is exit 2.
[[noreturn]] void exit_now(int code);

// Whether an error says an input could not be read (GW113) or a rule could not be used (GW117):
// the run could not do its job, which is exit 2, not a finding (exit 1), whatever --fail-on says.
bool unreadable_input(const Diagnostic& d);

}  // namespace gwctl::cli
