#include "gwctl/git.hpp"

#include <git2.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "gwctl/diagnostic.hpp"

namespace gwctl {

namespace fs = std::filesystem;

namespace {

// libgit2 is initialised once per process and never shut down: the process ends with its
// readers still alive (cli::exit_now), and a shutdown would race them.
void init_libgit2() {
  static std::once_flag once;
  std::call_once(once, [] { git_libgit2_init(); });
}

std::string last_error() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

template <typename T, void (*Free)(T*)>
struct Owned {
  T* p = nullptr;
  Owned() = default;
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  ~Owned() {
    if (p) Free(p);
  }
  T** out() { return &p; }
  T* get() const { return p; }
  T* release() {
    T* q = p;
    p = nullptr;
    return q;
  }
};
using RepoPtr = Owned<git_repository, git_repository_free>;
using ObjectPtr = Owned<git_object, git_object_free>;
using TreePtr = Owned<git_tree, git_tree_free>;
using EntryPtr = Owned<git_tree_entry, git_tree_entry_free>;
using BlobPtr = Owned<git_blob, git_blob_free>;
using CommitPtr = Owned<git_commit, git_commit_free>;
using OdbPtr = Owned<git_odb, git_odb_free>;
using IndexPtr = Owned<git_index, git_index_free>;
using DiffPtr = Owned<git_diff, git_diff_free>;
using StatusPtr = Owned<git_status_list, git_status_list_free>;
using ReferencePtr = Owned<git_reference, git_reference_free>;

std::string oid_hex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

// A repository handle of its own for each reader: libgit2 objects are not shared across the
// threads that load the base and the head at the same time.
std::shared_ptr<git_repository> open_handle(const std::string& path) {
  git_repository* repo = nullptr;
  if (git_repository_open(&repo, path.c_str()) != 0) return nullptr;
  return std::shared_ptr<git_repository>(repo, git_repository_free);
}

// A blob's content, refused unread above max_bytes.
Expected<std::string> read_blob(git_repository* repo, const git_oid& oid, std::string_view path,
                                std::size_t max_bytes) {
  OdbPtr odb;
  if (git_repository_odb(odb.out(), repo) != 0) return IoError{IoError::Kind::io, last_error()};
  std::size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  if (git_odb_read_header(&size, &type, odb.get(), &oid) != 0) {
    return IoError{IoError::Kind::io, fmt::format("the content of '{}' (object {}) is not in this repository; "
                                                  "fetch the missing history ('git fetch --unshallow')",
                                                  path, oid_hex(oid).substr(0, 12))};
  }
  if (size > max_bytes) {
    return IoError{IoError::Kind::too_large,
                   "file is " + std::to_string(size) + " bytes; the limit is " + std::to_string(max_bytes) + " bytes"};
  }
  BlobPtr blob;
  if (git_blob_lookup(blob.out(), repo, &oid) != 0) {
    return IoError{IoError::Kind::io, fmt::format("cannot read '{}': {}", path, last_error())};
  }
  const char* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
  return std::string(data, static_cast<std::size_t>(git_blob_rawsize(blob.get())));
}

// Like the kernel's limit on symlinks followed for one path.
constexpr int max_symlink_hops = 40;

// Where a symlink at `link` (relative to the root) pointing at `target` leads, relative to
// the root; nullopt when the target is absolute or climbs out of the root.
std::optional<std::string> link_target(std::string_view link, std::string_view target) {
  if (target.empty() || target.starts_with("/")) return std::nullopt;
  std::vector<std::string_view> parts;
  auto walk = [&](std::string_view p) {
    for (std::size_t start = 0; start <= p.size();) {
      std::size_t slash = std::min(p.find('/', start), p.size());
      std::string_view part = p.substr(start, slash - start);
      if (part == "..") {
        if (parts.empty()) return false;
        parts.pop_back();
      } else if (!part.empty() && part != ".") {
        parts.push_back(part);
      }
      start = slash + 1;
    }
    return true;
  };
  std::size_t slash = link.rfind('/');
  if (slash != std::string_view::npos && !walk(link.substr(0, slash))) return std::nullopt;
  if (!walk(target) || parts.empty()) return std::nullopt;
  std::string out;
  for (auto part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

// A commit's tree below the config root.
class TreeReader final : public FileReader {
 public:
  TreeReader(std::shared_ptr<git_repository> repo, git_tree* root, std::string label)
      : repo_(std::move(repo)), root_(root), label_(std::move(label)) {}
  ~TreeReader() override { git_tree_free(root_); }
  TreeReader(const TreeReader&) = delete;
  TreeReader& operator=(const TreeReader&) = delete;

  Expected<std::vector<DirEntry>> list(std::string_view dir) const override {
    if (!plain_relative(dir)) return escapes(dir);
    TreePtr sub;
    git_tree* tree = root_;
    if (!dir.empty()) {
      EntryPtr entry;
      if (git_tree_entry_bypath(entry.out(), root_, std::string(dir).c_str()) != 0 ||
          git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE) {
        return IoError{IoError::Kind::not_found, "'" + std::string(dir) + "' does not exist"};
      }
      if (git_tree_lookup(sub.out(), repo_.get(), git_tree_entry_id(entry.get())) != 0) {
        return IoError{IoError::Kind::io, fmt::format("cannot read '{}': {}", dir, last_error())};
      }
      tree = sub.get();
    }
    std::vector<DirEntry> out;
    for (std::size_t i = 0, n = git_tree_entrycount(tree); i < n; ++i) {
      const git_tree_entry* e = git_tree_entry_byindex(tree, i);
      git_object_t type = git_tree_entry_type(e);
      if (type == GIT_OBJECT_COMMIT) continue;  // a submodule holds no config
      out.push_back({git_tree_entry_name(e), type == GIT_OBJECT_TREE});
    }
    // Git sorts a folder as if its name ended in '/'; the readers promise plain name order.
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }

  // A symlink is followed, as the work tree's reader does, while it stays inside the root.
  Expected<std::string> read(std::string_view path, std::size_t max_bytes) const override {
    if (!plain_relative(path) || path.empty()) return escapes(path);
    std::string at(path);
    for (int hops = 0;; ++hops) {
      EntryPtr entry;
      if (git_tree_entry_bypath(entry.out(), root_, at.c_str()) != 0) {
        return IoError{IoError::Kind::not_found, "'" + std::string(path) + "' does not exist"};
      }
      git_filemode_t mode = git_tree_entry_filemode(entry.get());
      if (mode == GIT_FILEMODE_LINK && hops < max_symlink_hops) {
        auto target = read_blob(repo_.get(), *git_tree_entry_id(entry.get()), at, 4096);
        if (!target) return target.error();
        auto next = link_target(at, *target);
        if (!next) {
          return IoError{IoError::Kind::escapes_root,
                         "'" + std::string(path) + "' is a symlink that leaves the config root"};
        }
        at = std::move(*next);
        continue;
      }
      if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE) {
        return IoError{IoError::Kind::not_regular, "'" + std::string(path) + "' is not a regular file in " + label_};
      }
      return read_blob(repo_.get(), *git_tree_entry_id(entry.get()), path, max_bytes);
    }
  }

  std::string describe() const override { return label_; }

 private:
  static IoError escapes(std::string_view p) {
    return IoError{IoError::Kind::escapes_root, "path '" + std::string(p) + "' leaves the config root"};
  }
  std::shared_ptr<git_repository> repo_;
  git_tree* root_;
  std::string label_;
};

// The index below the config root, snapshotted when the reader is made.
class IndexReader final : public FileReader {
 public:
  struct File {
    git_oid id;
    bool regular;
  };
  IndexReader(std::shared_ptr<git_repository> repo, std::map<std::string, File, std::less<>> files)
      : repo_(std::move(repo)), files_(std::move(files)) {
    for (const auto& [path, file] : files_) paths_.add(path, "");
  }

  // The folder structure is the paths' own: a MemoryReader of the paths answers listings.
  Expected<std::vector<DirEntry>> list(std::string_view dir) const override { return paths_.list(dir); }

  Expected<std::string> read(std::string_view path, std::size_t max_bytes) const override {
    if (!plain_relative(path)) {
      return IoError{IoError::Kind::escapes_root, "path '" + std::string(path) + "' leaves the config root"};
    }
    auto it = files_.find(path);
    if (it == files_.end()) return IoError{IoError::Kind::not_found, "'" + std::string(path) + "' does not exist"};
    if (!it->second.regular) {
      return IoError{IoError::Kind::not_regular, "'" + std::string(path) + "' is not a regular file in the index"};
    }
    return read_blob(repo_.get(), it->second.id, path, max_bytes);
  }

  std::string describe() const override { return "the index (staged changes)"; }

 private:
  std::shared_ptr<git_repository> repo_;
  std::map<std::string, File, std::less<>> files_;
  MemoryReader paths_;
};

// Remote names (remote.NAME.url in the configuration). Read with the plain config iterator:
// libgit2's regex-based remote lookups leak PCRE2 match data.
std::vector<std::string> remote_names(git_repository* repo) {
  std::vector<std::string> out;
  git_config* cfg = nullptr;
  if (git_repository_config_snapshot(&cfg, repo) != 0) return out;
  git_config_iterator* it = nullptr;
  if (git_config_iterator_new(&it, cfg) == 0) {
    git_config_entry* e = nullptr;
    while (git_config_next(&e, it) == 0) {
      std::string_view name = e->name;
      if (name.starts_with("remote.") && name.ends_with(".url") && name.size() > 11) {
        out.emplace_back(name.substr(7, name.size() - 11));
      }
    }
    git_config_iterator_free(it);
  }
  git_config_free(cfg);
  return out;
}

bool looks_like_sha(std::string_view s) {
  return s.size() >= 4 && s.size() <= 40 && s.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

// The root tree of the commit `rev` names; false (libgit2's error set) when it cannot be read.
bool commit_tree(git_repository* repo, const Revision& rev, TreePtr& tree) {
  git_oid oid;
  CommitPtr commit;
  return git_oid_fromstr(&oid, rev.sha.c_str()) == 0 && git_commit_lookup(commit.out(), repo, &oid) == 0 &&
         git_commit_tree(tree.out(), commit.get()) == 0;
}

// Where the config root at `prefix` in `moved_to` was in the tree `then`: the folder most of
// its renamed files came from ("" for the top), by Git's rename detection; nullopt when no
// file was renamed into it.
std::optional<std::string> renamed_root(git_repository* repo, git_tree* then, const std::string& prefix,
                                        const Revision& moved_to) {
  TreePtr now;
  if (!commit_tree(repo, moved_to, now)) return std::nullopt;
  DiffPtr diff;
  git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
  git_diff_find_options find = GIT_DIFF_FIND_OPTIONS_INIT;
  find.flags = GIT_DIFF_FIND_RENAMES;
  if (git_diff_tree_to_tree(diff.out(), repo, then, now.get(), &opts) != 0 ||
      git_diff_find_similar(diff.get(), &find) != 0) {
    return std::nullopt;
  }
  std::map<std::string, std::size_t> votes;
  std::string root_slash = prefix + "/";
  for (std::size_t i = 0, n = git_diff_num_deltas(diff.get()); i < n; ++i) {
    const git_diff_delta* d = git_diff_get_delta(diff.get(), i);
    if (d->status != GIT_DELTA_RENAMED) continue;
    std::string_view to = d->new_file.path, from = d->old_file.path;
    if (!to.starts_with(root_slash)) continue;
    std::string_view rel = to.substr(root_slash.size());
    if (from == rel) {
      ++votes[""];
    } else if (from.size() > rel.size() && from.ends_with(rel) && from[from.size() - rel.size() - 1] == '/') {
      ++votes[std::string(from.substr(0, from.size() - rel.size() - 1))];
    }
  }
  std::optional<std::string> best;
  std::size_t most = 0;
  for (const auto& [dir, n] : votes) {
    if (n > most) most = n, best = dir;
  }
  return best;
}

constexpr std::string_view shallow_fix =
    "fetch the history: 'fetch-depth: 0' on actions/checkout (GitHub), 'GIT_DEPTH: 0' (GitLab), "
    "or 'git fetch --deepen=N' / 'git fetch --unshallow' locally";

}  // namespace

struct GitRepository::Impl {
  RepoPtr repo;
  std::string path;  // the repository's git dir, for more handles
};

GitRepository::GitRepository(std::unique_ptr<Impl> impl, std::string prefix)
    : impl_(std::move(impl)), prefix_(std::move(prefix)) {}

GitRepository::~GitRepository() = default;

Expected<std::unique_ptr<GitRepository>> GitRepository::open(const fs::path& config_root) {
  init_libgit2();
  std::error_code ec;
  fs::path root = fs::canonical(config_root, ec);
  if (ec)
    return IoError{IoError::Kind::not_found, fmt::format("cannot read the config root '{}'", config_root.string())};
  auto impl = std::make_unique<Impl>();
  // Git's own way to keep a search from reaching a repository above (tests use it too).
  const char* ceilings = std::getenv("GIT_CEILING_DIRECTORIES");
  if (git_repository_open_ext(impl->repo.out(), root.c_str(), 0, ceilings && *ceilings ? ceilings : nullptr) != 0) {
    return IoError{IoError::Kind::not_found,
                   fmt::format("the config root '{}' is not inside a Git repository", config_root.string())};
  }
  const char* workdir = git_repository_workdir(impl->repo.get());
  if (!workdir) {
    return IoError{IoError::Kind::not_found, "the repository is bare: gwctl needs a work tree to find the config root"};
  }
  fs::path top = fs::canonical(workdir, ec);
  if (ec) return IoError{IoError::Kind::io, fmt::format("cannot read the work tree '{}'", workdir)};
  fs::path rel = root.lexically_relative(top);
  std::string prefix = rel.generic_string();
  if (prefix == ".") prefix.clear();
  if (rel.empty() || prefix.starts_with("..")) {
    return IoError{IoError::Kind::not_found,
                   fmt::format("the config root '{}' is not inside the work tree '{}'", root.string(), top.string())};
  }
  impl->path = git_repository_path(impl->repo.get());
  return std::unique_ptr<GitRepository>(new GitRepository(std::move(impl), std::move(prefix)));
}

bool GitRepository::shallow() const {
  return git_repository_is_shallow(impl_->repo.get()) == 1;
}

std::vector<std::string> GitRepository::ref_names() const {
  git_strarray refs{};
  std::vector<std::string> out;
  if (git_reference_list(&refs, impl_->repo.get()) != 0) return out;
  for (std::size_t i = 0; i < refs.count; ++i) {
    std::string_view r = refs.strings[i];
    for (std::string_view p : {"refs/heads/", "refs/remotes/", "refs/tags/"}) {
      if (r.starts_with(p)) {
        std::string name(r.substr(p.size()));
        if (!name.ends_with("/HEAD")) out.push_back(name);
      }
    }
  }
  git_strarray_dispose(&refs);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Expected<Revision> GitRepository::resolve(const std::string& spec) const {
  git_repository* repo = impl_->repo.get();
  ObjectPtr obj;
  if (spec.empty()) return IoError{IoError::Kind::not_found, "an empty revision"};
  if (git_revparse_single(obj.out(), repo, spec.c_str()) == 0) {
    ObjectPtr commit;
    if (git_object_peel(commit.out(), obj.get(), GIT_OBJECT_COMMIT) != 0) {
      return IoError{IoError::Kind::not_found, fmt::format("revision '{}' does not name a commit", spec)};
    }
    return Revision{spec, oid_hex(*git_object_id(commit.get()))};
  }
  std::string why = last_error();
  // Where it went wrong decides the fix.
  std::string stem = spec.substr(0, spec.find_first_of("~^@:"));
  bool has_suffix = stem.size() != spec.size();
  ObjectPtr stem_obj;
  bool stem_ok = has_suffix && git_revparse_single(stem_obj.out(), repo, stem.c_str()) == 0;
  // Only '~N' and '^N' walk ancestors; '@{upstream}', ':path' and the like fail for other reasons.
  bool ancestry = has_suffix && (spec[stem.size()] == '~' || spec[stem.size()] == '^');
  if (stem_ok && ancestry && shallow()) {
    return IoError{IoError::Kind::not_found,
                   fmt::format("revision '{}' is not in this clone: the repository is shallow and its history stops "
                               "before it\n  hint: {}",
                               spec, shallow_fix)};
  }
  if (stem_ok && ancestry) {
    return IoError{
        IoError::Kind::not_found,
        fmt::format("revision '{}' does not exist: {}\n  hint: '{}' has fewer ancestors than that", spec, why, stem)};
  }
  if (stem_ok) return IoError{IoError::Kind::not_found, fmt::format("revision '{}' does not exist: {}", spec, why)};
  if (spec == "HEAD" && git_repository_head_unborn(repo) == 1) {
    return IoError{IoError::Kind::not_found,
                   "the repository has no commit yet, so 'HEAD' names nothing\n  hint: commit the config first"};
  }
  auto names = ref_names();
  // "origin/main" where "origin" is a remote: the branch was not fetched.
  if (auto slash = stem.find('/'); slash != std::string::npos) {
    std::string remote = stem.substr(0, slash);
    auto remotes = remote_names(repo);
    if (std::find(remotes.begin(), remotes.end(), remote) != remotes.end()) {
      std::string guess = did_you_mean(stem, names);
      if (!guess.empty() && guess != stem) {
        return IoError{IoError::Kind::not_found,
                       fmt::format("unknown revision '{}'\n  hint: did you mean '{}'?", spec, guess)};
      }
      return IoError{IoError::Kind::not_found,
                     fmt::format("revision '{}' is not in this clone: the remote branch was not fetched\n  hint: run "
                                 "'git fetch {} {}' (in CI: 'fetch-depth: 0' on actions/checkout)",
                                 spec, remote, stem.substr(slash + 1))};
    }
  }
  if (looks_like_sha(stem)) {
    return IoError{
        IoError::Kind::not_found,
        fmt::format("commit '{}' is not in this repository{}\n  hint: {}", spec, shallow() ? " (a shallow clone)" : "",
                    shallow() ? std::string(shallow_fix) : "run 'git fetch' to bring it in")};
  }
  std::string guess = did_you_mean(stem, names);
  std::string msg = fmt::format("unknown revision '{}'", spec);
  if (!guess.empty()) {
    msg += fmt::format("\n  hint: did you mean '{}{}'?", guess, spec.substr(stem.size()));
  } else if (!names.empty()) {
    std::vector<std::string> some(names.begin(), names.begin() + std::min<std::ptrdiff_t>(8, names.size()));
    msg += fmt::format("\n  hint: branches and tags: {}{}", fmt::join(some, ", "), names.size() > 8 ? ", …" : "");
  }
  if (auto remotes = remote_names(repo); guess.empty() && !remotes.empty()) {
    msg += fmt::format("\n  hint: if it is a branch of the remote, fetch it: 'git fetch {} {}'", remotes.front(), stem);
  }
  return IoError{IoError::Kind::not_found, msg};
}

Expected<Revision> GitRepository::merge_base(const Revision& a, const Revision& b) const {
  git_oid oa, ob, out;
  git_oid_fromstr(&oa, a.sha.c_str());
  git_oid_fromstr(&ob, b.sha.c_str());
  int rc = git_merge_base(&out, impl_->repo.get(), &oa, &ob);
  if (rc == 0) return Revision{fmt::format("merge-base({}, {})", a.spec, b.spec), oid_hex(out)};
  if (shallow()) {
    return IoError{IoError::Kind::not_found,
                   fmt::format("the merge base of '{}' and '{}' is not in this clone: the repository is shallow\n  "
                               "hint: {}; or compare directly with --no-merge-base",
                               a.spec, b.spec, shallow_fix)};
  }
  if (rc == GIT_ENOTFOUND) {
    return IoError{IoError::Kind::not_found,
                   fmt::format("'{}' and '{}' have no common history\n  hint: compare them directly with "
                               "--no-merge-base",
                               a.spec, b.spec)};
  }
  return IoError{IoError::Kind::io,
                 fmt::format("cannot find the merge base of '{}' and '{}': {}", a.spec, b.spec, last_error())};
}

Expected<std::unique_ptr<FileReader>> GitRepository::commit_reader(const Revision& rev,
                                                                   const std::optional<Revision>& moved_to,
                                                                   std::string* root_in_rev) const {
  auto handle = open_handle(impl_->path);
  if (!handle) return IoError{IoError::Kind::io, fmt::format("cannot open the repository: {}", last_error())};
  TreePtr top;
  if (!commit_tree(handle.get(), rev, top)) {
    return IoError{IoError::Kind::io,
                   fmt::format("cannot read the tree of '{}' ({}): {}", rev.spec, rev.short_sha(), last_error())};
  }
  std::string label = fmt::format("revision '{}' ({})", rev.spec, rev.short_sha());
  auto subtree = [&](const std::string& path) -> git_tree* {
    if (path.empty()) {
      git_tree* copy = nullptr;
      git_tree_dup(&copy, top.get());
      return copy;
    }
    EntryPtr entry;
    if (git_tree_entry_bypath(entry.out(), top.get(), path.c_str()) != 0 ||
        git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE) {
      return nullptr;
    }
    git_tree* t = nullptr;
    if (git_tree_lookup(&t, handle.get(), git_tree_entry_id(entry.get())) != 0) return nullptr;
    return t;
  };
  if (git_tree* t = subtree(prefix_)) {
    if (root_in_rev) *root_in_rev = prefix_;
    return std::unique_ptr<FileReader>(new TreeReader(handle, t, label));
  }
  // The config root is not at this path in `rev`: look for where its files came from.
  if (moved_to) {
    if (auto old_root = renamed_root(handle.get(), top.get(), prefix_, *moved_to)) {
      if (git_tree* t = subtree(*old_root)) {
        if (root_in_rev) *root_in_rev = old_root->empty() ? "." : *old_root;
        return std::unique_ptr<FileReader>(new TreeReader(handle, t, label));
      }
    }
  }
  return IoError{IoError::Kind::not_found,
                 fmt::format("the config root '{}' does not exist in revision '{}' ({}), and no rename of it was "
                             "found\n  hint: pick a revision that has the config, or run gwctl from the folder the "
                             "config had then",
                             prefix_.empty() ? "." : prefix_, rev.spec, rev.short_sha())};
}

Expected<GitRepository::WorkTreeState> GitRepository::work_tree_state() const {
  git_repository* repo = impl_->repo.get();
  WorkTreeState state;
  int unborn = git_repository_head_unborn(repo);
  if (unborn < 0) return IoError{IoError::Kind::io, fmt::format("cannot read HEAD: {}", last_error())};
  if (unborn == 0) {
    ReferencePtr head;
    ObjectPtr commit;
    if (git_repository_head(head.out(), repo) != 0 ||
        git_reference_peel(commit.out(), head.get(), GIT_OBJECT_COMMIT) != 0) {
      return IoError{IoError::Kind::io, fmt::format("cannot read HEAD: {}", last_error())};
    }
    state.head = oid_hex(*git_object_id(commit.get()));
  }
  git_status_options opts = GIT_STATUS_OPTIONS_INIT;
  opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
  opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
               GIT_STATUS_OPT_EXCLUDE_SUBMODULES | GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH;
  std::string root_slash = prefix_.empty() ? "" : prefix_ + "/";
  std::string root = prefix_;
  char* spec = root.data();
  if (!prefix_.empty()) opts.pathspec = {&spec, 1};  // a literal folder: everything below it
  StatusPtr list;
  if (git_status_list_new(list.out(), repo, &opts) != 0) {
    return IoError{IoError::Kind::io, fmt::format("cannot read the work tree's status: {}", last_error())};
  }
  auto add = [&](const char* path) {
    if (!path) return;
    std::string_view p = path;
    if (p.starts_with(root_slash)) state.changed.emplace_back(p.substr(root_slash.size()));
  };
  for (std::size_t i = 0, n = git_status_list_entrycount(list.get()); i < n; ++i) {
    const git_status_entry* e = git_status_byindex(list.get(), i);
    if (e->status == GIT_STATUS_CURRENT || (e->status & GIT_STATUS_IGNORED)) continue;
    for (const git_diff_delta* d : {e->head_to_index, e->index_to_workdir}) {
      if (!d) continue;
      add(d->old_file.path);
      add(d->new_file.path);
    }
  }
  std::sort(state.changed.begin(), state.changed.end());
  state.changed.erase(std::unique(state.changed.begin(), state.changed.end()), state.changed.end());
  return state;
}

Expected<std::unique_ptr<FileReader>> GitRepository::index_reader() const {
  auto handle = open_handle(impl_->path);
  if (!handle) return IoError{IoError::Kind::io, fmt::format("cannot open the repository: {}", last_error())};
  IndexPtr index;
  if (git_repository_index(index.out(), handle.get()) != 0) {
    return IoError{IoError::Kind::io, fmt::format("cannot read the index: {}", last_error())};
  }
  std::string root_slash = prefix_.empty() ? "" : prefix_ + "/";
  std::map<std::string, IndexReader::File, std::less<>> files;
  for (std::size_t i = 0, n = git_index_entrycount(index.get()); i < n; ++i) {
    const git_index_entry* e = git_index_get_byindex(index.get(), i);
    std::string_view path = e->path;
    if (!path.starts_with(root_slash)) continue;
    std::string rel(path.substr(root_slash.size()));
    if (GIT_INDEX_ENTRY_STAGE(e) != 0) {
      return IoError{IoError::Kind::io,
                     fmt::format("'{}' has an unresolved merge conflict in the index\n  hint: resolve it and 'git add' "
                                 "the file",
                                 rel)};
    }
    if ((e->mode & 0170000) == 0160000) continue;  // a submodule
    files[rel] = {e->id, (e->mode & 0170000) == 0100000};
  }
  return std::unique_ptr<FileReader>(new IndexReader(handle, std::move(files)));
}

}  // namespace gwctl
