// gwctl explain: what a rule checks, why it matters, and how to fix a finding.
#include <fmt/format.h>

#include "common.hpp"
#include "gwctl/rules.hpp"

namespace gwctl::cli {

namespace {

std::string indent(const std::string& text) {
  std::string out = "    ";
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '\n' && i + 1 < text.size()) out += "    ";
  }
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

// Paragraph text wrapped at 78 columns.
std::string wrap(const std::string& text) {
  std::string out, line;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = text.find_first_of(" \n", i);
    std::string word = text.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if (!line.empty() && line.size() + 1 + word.size() > 78) {
      out += line + "\n";
      line.clear();
    }
    if (!word.empty()) line += (line.empty() ? "" : " ") + word;
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return out + line;
}

// The team's own rules of the config root (-C), when it is a config repository; quietly none
// otherwise (explain works anywhere).
std::vector<RuleDoc> team_rule_docs(const GlobalOptions& global) {
  std::vector<RuleDoc> out;
  DiskReader reader(global.root);
  if (!reader.root_ok()) return out;
  Diagnostics ignored;
  auto project = load_project(reader, ProjectOptions{}, ignored);
  if (!project) return out;
  for (const auto& rule : project->custom_rules) out.push_back(rule->doc);
  return out;
}

int run_explain(const GlobalOptions& global, const std::string& id) {
  if (id.empty()) {
    for (const auto& d : rule_docs()) fmt::print("{}  {:<8} {}\n", d.id, d.severity, d.title);
    for (const auto& d : team_rule_docs(global))
      fmt::print("{}  {:<8} {} (this repository's rule)\n", d.id, d.severity, d.title);
    return ok;
  }
  const RuleDoc* doc = find_rule_doc(id);
  std::vector<RuleDoc> team;
  if (!doc) {
    team = team_rule_docs(global);
    for (const auto& d : team) doc = d.id == id ? &d : doc;
  }
  if (!doc) {
    std::vector<std::string> ids;
    for (const auto& d : rule_docs()) ids.push_back(d.id);
    for (const auto& d : team) ids.push_back(d.id);
    std::string guess = did_you_mean(id, ids);
    error(fmt::format("no rule '{}'{}; 'gwctl explain' lists them", id,
                      guess.empty() ? "" : fmt::format(" (did you mean '{}'?)", guess)));
    return failure;
  }
  std::string out =
      fmt::format("{}: {}\ncategory: {}, default severity: {}\n", doc->id, doc->title, doc->category, doc->severity);
  // A team's rule may leave out its rationale and fix: no empty sections then.
  if (!doc->rationale.empty()) out += "\n" + wrap(doc->rationale) + "\n";
  if (!doc->fix.empty()) out += "\nHow to fix:\n" + wrap(doc->fix) + "\n";
  if (!doc->example.empty()) out += "\nExample:\n" + indent(doc->example);
  if (!doc->fixed.empty()) out += "\nFixed:\n" + indent(doc->fixed);
  return write_output("", out) ? ok : failure;
}

}  // namespace

Command register_explain(CLI::App& app, const GlobalOptions& global) {
  auto id = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("explain", "Explain a rule (or list them all)");
  sub->add_option("rule", *id, "Rule id, e.g. GW102")->type_name("RULE");
  return {sub, [&global, id] { return run_explain(global, *id); }};
}

}  // namespace gwctl::cli
