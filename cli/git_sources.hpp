// The Git side of the commands that compare against history (diff, lint --changed-since): the
// base revision resolved, taken through its merge base with the head's commit, and loaded.
#pragma once

#include <optional>
#include <string>

#include "common.hpp"
#include "gwctl/git.hpp"
#include "gwctl/lint.hpp"

namespace gwctl::cli {

struct BaseLoad {
  LoadedProject loaded;
  Revision commit;    // the commit actually read (the merge base, unless asked otherwise)
  std::string label;  // "main (1a2b…)", "merge base of origin/main and HEAD (…)"
};

// Resolves `spec`; unless `direct`, replaces it by its merge base with `head` (HEAD when
// nullopt). Finds the config root in that commit, following a rename. Prints why and returns
// nullopt when any of it fails (exit 2).
std::optional<BaseLoad> load_base(const GitRepository& repo, const std::string& spec,
                                  const std::optional<Revision>& head, bool direct);

// `lint --changed-since REV`: keeps the findings in entities and files changed between REV's
// merge base with HEAD and `head` (the project lint ran on); notes how many were left out.
// Prints why and returns false when REV cannot be read (exit 2).
bool keep_changed_since(const GlobalOptions& global, const std::string& rev, const LoadedProject& head,
                        LintResult& result);

}  // namespace gwctl::cli
