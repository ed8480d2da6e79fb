// Project: the config repository as layers of loaded files.
//
// Reads gwctl.yaml (validated against the project schema), then every file of the base, each
// environment and each flag overlay through one FileReader, once. Which flags are on for an
// environment is decided later, by the pipeline, from the merged `flags:` mapping.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gwctl/diagnostic.hpp"
#include "gwctl/load.hpp"
#include "gwctl/policy.hpp"
#include "gwctl/rules.hpp"
#include "gwctl/source.hpp"

namespace gwctl {

struct ProjectSettings {
  bool has_file = false;                  // gwctl.yaml exists
  std::vector<std::string> environments;  // promotion order
  std::vector<std::string> flag_order;    // order of flag overlays (gwctl.yaml `flags:`), else lexical
  std::string base_dir = "base", envs_dir = "envs", flags_dir = "flags", tests_dir = "tests";
  std::vector<std::string> parity_may_differ;
  std::vector<std::string> rule_paths = {"rules"};  // folders of the team's declarative rules
  bool rule_paths_explicit = false;                 // set in gwctl.yaml: a missing folder is an error
  SeverityOverrides severity;                       // rules.severity and rules.env_severity
};

struct Layer {
  std::string name;               // "base", "env:prod", "flag:canary"
  std::vector<ConfigTree> trees;  // in application order
};

struct Project {
  SourceSet sources;
  ProjectSettings settings;
  Layer base;
  std::map<std::string, Layer> envs;                           // by environment name
  std::map<std::string, Layer> flags;                          // by flag name
  std::vector<std::string> flag_names;                         // every flag, in application order
  std::vector<std::shared_ptr<DeclarativeRule>> custom_rules;  // the team's rules, by id
  // Where the files were read from, for the artifact's `source`: a commit's SHA and dirty
  // false when read from Git history; null for a directory on disk.
  std::optional<std::string> commit;
  std::optional<bool> dirty;
  // A work tree in Git: the paths (relative to the root) that differ from `commit`. Each
  // artifact is then dirty when one of them belongs to a layer it is compiled from.
  std::optional<std::vector<std::string>> uncommitted;
};

struct ProjectOptions {
  LoadLimits limits;
  // `gwctl lint --rules DIR`: folders of rule files outside the project settings, each read
  // through its own reader (confined to that folder) and named by its label in diagnostics.
  struct RuleDir {
    std::string label;
    const FileReader* reader = nullptr;
  };
  std::vector<RuleDir> extra_rule_dirs;
};

// The layer a file at `path` (relative to the config root) is loaded into: "project" for
// gwctl.yaml, "base", "env:NAME", "flag:NAME"; "" for a file no layer reads.
std::string layer_of_path(const ProjectSettings& settings, std::string_view path);

// Loads the whole repository. Problems with gwctl.yaml or the layout are GW114 diagnostics;
// an unreadable root is an IoError.
Expected<Project> load_project(const FileReader& reader, const ProjectOptions& options, Diagnostics& diags);

}  // namespace gwctl
