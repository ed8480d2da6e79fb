#include "git_sources.hpp"

#include <fmt/format.h>

#include "gwctl/lint_scope.hpp"

namespace gwctl::cli {

std::optional<BaseLoad> load_base(const GitRepository& repo, const std::string& spec,
                                  const std::optional<Revision>& head, bool direct) {
  auto rev = repo.resolve(spec);
  if (!rev) {
    error(rev.error().message);
    return std::nullopt;
  }
  std::optional<Revision> head_commit = head;
  if (!head_commit) {
    auto h = repo.resolve("HEAD");
    if (h) head_commit = *h;
  }
  std::string label = fmt::format("{} ({})", spec, rev->short_sha());
  Revision base = *rev;
  if (!direct && head_commit && head_commit->sha != base.sha) {
    auto mb = repo.merge_base(*rev, *head_commit);
    if (!mb) {
      error(mb.error().message);
      return std::nullopt;
    }
    if (mb->sha != rev->sha) {
      base = *mb;
      label = fmt::format("merge base of {} and {} ({})", spec, head ? head->spec : "HEAD", base.short_sha());
    }
  }
  std::string root_then;
  auto reader = repo.commit_reader(base, head_commit, &root_then);
  if (!reader) {
    error(reader.error().message);
    return std::nullopt;
  }
  if (root_then != repo.prefix()) {
    fmt::print(stderr, "gwctl: note: the config root was '{}' in {}; it is compared with '{}'\n", root_then, label,
               repo.prefix().empty() ? "." : repo.prefix());
  }
  auto loaded = load_from(std::move(*reader), base.sha);
  if (!loaded) return std::nullopt;
  return BaseLoad{std::move(*loaded), base, label};
}

bool keep_changed_since(const GlobalOptions& global, const std::string& rev, const LoadedProject& head,
                        LintResult& result) {
  auto repo = GitRepository::open(global.root);
  if (!repo) {
    error(repo.error().message);
    return false;
  }
  auto base = load_base(**repo, rev, std::nullopt, false);
  if (!base) return false;
  ChangeScope scope = change_scope(base->loaded.project, base->loaded.diags, head.project, head.diags);
  std::size_t before = result.findings.size();
  result.findings = findings_in_scope(head.project, std::move(result.findings), scope);
  std::size_t hidden = before - result.findings.size();
  if (hidden > 0) {
    fmt::print(stderr, "gwctl: note: {} finding{} outside the changes since {} not shown\n", hidden,
               hidden == 1 ? "" : "s", base->label);
  }
  return true;
}

}  // namespace gwctl::cli
