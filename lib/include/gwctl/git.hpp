// Git: the config repository's history as FileReaders (DESIGN.md section 6).
//
// A GitRepository is found from the config root (-C), which may be the repository's top or a
// folder inside it, a linked worktree, or a detached HEAD. It resolves revisions to commits,
// finds merge bases, and hands out readers of a commit's tree or of the index, rooted at the
// config root's path inside the repository. Readers read blobs from the object database only:
// no checkout, no temporary files. Every libgit2 failure becomes an IoError whose message names
// the revision and says how to fix it (a shallow clone, a missing remote branch, a typo).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gwctl/source.hpp"

namespace gwctl {

// A resolved revision: what the user typed and the commit it names.
struct Revision {
  std::string spec;  // "origin/main", "HEAD~2", a SHA
  std::string sha;   // 40 hex digits
  std::string short_sha() const { return sha.substr(0, 12); }
};

class GitRepository {
 public:
  ~GitRepository();
  GitRepository(const GitRepository&) = delete;
  GitRepository& operator=(const GitRepository&) = delete;

  // The repository holding `config_root`; not_found when there is none. Like git, the search
  // upwards stops at the folders listed in GIT_CEILING_DIRECTORIES.
  static Expected<std::unique_ptr<GitRepository>> open(const std::filesystem::path& config_root);

  // The config root's path inside the repository: "" at the top, else "gateway" ('/'-separated).
  const std::string& prefix() const { return prefix_; }
  bool shallow() const;

  // `spec` as a commit. A revision that is not there is an error naming it, with "did you mean"
  // over branch and tag names, or the fetch that brings it in (shallow clone, remote branch).
  Expected<Revision> resolve(const std::string& spec) const;
  // The best common ancestor of two commits; an error with the fix when history is cut short.
  Expected<Revision> merge_base(const Revision& a, const Revision& b) const;
  // The config root as it is in `rev`. When the root's path does not exist there and the
  // config was moved (renamed) between `rev` and `moved_to`, the old path is found by Git's
  // rename detection and `*root_in_rev` receives it. Errors when neither works.
  Expected<std::unique_ptr<FileReader>> commit_reader(const Revision& rev, const std::optional<Revision>& moved_to,
                                                      std::string* root_in_rev = nullptr) const;
  // The config root as staged in the index (stage 0 entries; a conflicted file is an error).
  Expected<std::unique_ptr<FileReader>> index_reader() const;

  // The work tree against HEAD below the config root, for a compile of the work tree.
  struct WorkTreeState {
    std::optional<std::string> head;   // HEAD's commit; nullopt before the first commit
    std::vector<std::string> changed;  // relative to the config root: modified, staged, deleted, or
                                       // untracked and not ignored (both names of a rename), sorted
  };
  Expected<WorkTreeState> work_tree_state() const;

  // Branch and tag names (local branches, remote-tracking branches, tags), sorted.
  std::vector<std::string> ref_names() const;

 private:
  struct Impl;
  explicit GitRepository(std::unique_ptr<Impl> impl, std::string prefix);
  std::unique_ptr<Impl> impl_;
  std::string prefix_;
};

}  // namespace gwctl
