#include "gwctl/lint_scope.hpp"

#include <map>
#include <optional>

#include "gwctl/config_tree.hpp"
#include "gwctl/pipeline.hpp"
#include "gwctl/project_diff.hpp"

namespace gwctl {

ChangeScope change_scope(const Project& base, const Diagnostics& base_load, const Project& head,
                         const Diagnostics& head_load) {
  ProjectDiffOptions options;
  options.merged_only = true;
  ProjectDiff diff = diff_projects(base, base_load, head, head_load, options);
  ChangeScope scope;
  scope.entities = changed_entities(diff.report);
  for (const auto& env : diff.report.envs) {
    for (const auto& f : env.files) {
      if (f.change != "deleted") scope.files.insert(f.path);
    }
  }
  return scope;
}

namespace {

// Names of list items (routes, consumers) by index, in the merged config of a variant.
class ListNames {
 public:
  explicit ListNames(const Project& project) : pipeline_(project) {}

  std::optional<std::string> name(const Finding& f, const std::string& list, const std::string& index) {
    std::vector<FlagOverride> overrides;
    for (const auto& flag : f.flags) overrides.push_back({flag, true});
    std::string env = f.envs.empty() ? "" : f.envs.front();
    std::string key = env + "\n" + fmt_flags(f.flags);
    auto it = merged_.find(key);
    if (it == merged_.end()) it = merged_.emplace(key, pipeline_.run(env, overrides, Stage::merge).merged.root).first;
    const NodePtr& root = it->second;
    if (!root) return std::nullopt;
    const Node* items = root->get(list);
    if (!items || !items->is_seq()) return std::nullopt;
    std::size_t i = 0;
    for (char c : index) {
      if (c < '0' || c > '9') return std::nullopt;
      i = i * 10 + static_cast<std::size_t>(c - '0');
      if (i > items->items.size()) return std::nullopt;
    }
    if (index.empty() || i >= items->items.size()) return std::nullopt;
    const Node* name = items->items[i]->get("name");
    if (!name || !name->is_scalar()) return std::nullopt;
    return name->scalar_text();
  }

 private:
  static std::string fmt_flags(const std::vector<std::string>& flags) {
    std::string s;
    for (const auto& f : flags) s += f + ",";
    return s;
  }
  Pipeline pipeline_;
  std::map<std::string, NodePtr> merged_;
};

}  // namespace

std::vector<Finding> findings_in_scope(const Project& head, std::vector<Finding> findings, const ChangeScope& scope) {
  ListNames names(head);
  std::vector<Finding> kept;
  for (auto& f : findings) {
    std::string file = f.diag.span.valid() ? head.sources.file(f.diag.span.file).path : "";
    bool in_changed_file = !file.empty() && scope.files.count(file);
    auto t = pointer_tokens(f.diag.path);
    std::optional<std::pair<std::string, std::string>> entity;
    if (!t.empty() && t[0] == "gateway") {
      entity = {"gateway", "gateway"};
    } else if (t.size() >= 2 && (t[0] == "providers" || t[0] == "models")) {
      entity = {t[0] == "providers" ? "provider" : "model", t[1]};
    } else if (t.size() >= 2 && (t[0] == "routes" || t[0] == "consumers")) {
      if (auto n = names.name(f, t[0], t[1])) entity = {t[0] == "routes" ? "route" : "consumer", *n};
    }
    bool keep = entity ? scope.entities.count(*entity) > 0 : (in_changed_file || file.empty());
    if (keep) kept.push_back(std::move(f));
  }
  return kept;
}

}  // namespace gwctl
