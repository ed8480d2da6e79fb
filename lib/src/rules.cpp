#include "gwctl/rules.hpp"

#include <algorithm>
#include <cctype>

#include "gwctl/load.hpp"
#include "gwctl/schema.hpp"

namespace gwctl {

namespace {

std::vector<RuleDoc> load_docs() {
  std::vector<RuleDoc> docs;
  std::string_view all = GWCTL_RULE_FILES;
  while (!all.empty()) {
    auto comma = all.find(',');
    std::string name(all.substr(0, comma));
    all = comma == std::string_view::npos ? std::string_view{} : all.substr(comma + 1);
    // The files are ours and tested; a broken one is a build-time mistake, skipped here.
    SourceSet sources;
    Diagnostics diags;
    std::uint32_t id = sources.add("rules/" + name, "rules", std::string(embedded_file("rules/" + name)));
    ConfigTree tree = load_yaml(sources, id, LoadLimits{}, diags);
    if (!tree.root || !tree.root->is_map()) continue;
    auto text = [&](const char* key) {
      const Node* n = tree.root->get(key);
      return n && n->is_scalar() ? n->scalar_text() : std::string();
    };
    docs.push_back({text("id"), text("title"), text("category"), text("severity"), text("rationale"), text("fix"),
                    text("example"), text("fixed")});
  }
  std::sort(docs.begin(), docs.end(), [](const RuleDoc& a, const RuleDoc& b) { return a.id < b.id; });
  return docs;
}

}  // namespace

const std::vector<RuleDoc>& rule_docs() {
  static const std::vector<RuleDoc> docs = load_docs();
  return docs;
}

const RuleDoc* find_rule_doc(std::string_view id) {
  std::string upper(id);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  for (const auto& d : rule_docs()) {
    if (d.id == upper) return &d;
  }
  return nullptr;
}

}  // namespace gwctl
