#include "gwctl/rules.hpp"

#include <algorithm>
#include <cctype>
#include <functional>

#include <fmt/format.h>
#include <re2/re2.h>

#include "gwctl/load.hpp"
#include "gwctl/schema.hpp"

namespace gwctl {

namespace {

const char* const kRuleKeys[] = {"id",      "title", "category", "severity", "rationale", "fix",
                                 "example", "fixed", "select",   "target",   "schema",    "message"};

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

// Regular expressions of a rule's schema, which valijson never runs (see schema.hpp): each is
// compiled with RE2 here and checked against the instance by the policy engine. They are
// allowed where the instance position is known without branching: under properties, items,
// additionalProperties and allOf.
bool collect_rule_patterns(const nlohmann::json& s, const std::string& at, DeclarativeRule& rule,
                           std::string& problem) {
  if (!s.is_object()) return true;
  for (const auto& [key, value] : s.items()) {
    // valijson would run these with std::regex (patternProperties) or skip them (format).
    if (key == "patternProperties" || (key == "format" && value.is_string())) {
      problem =
          fmt::format("'{}' (at 'schema{}') is not supported in rule schemas; use 'pattern' under properties", key, at);
      return false;
    }
    if (key == "pattern" && value.is_string()) {
      RE2 re(value.get<std::string>(), RE2::Quiet);
      if (!re.ok()) {
        problem = fmt::format("the pattern at 'schema{}' is not a valid RE2 expression: {}", at, re.error());
        return false;
      }
      rule.patterns.emplace_back(at, value.get<std::string>());
    } else if (key == "properties" && value.is_object()) {
      for (const auto& [name, sub] : value.items()) {
        if (!collect_rule_patterns(sub, at + "/properties/" + pointer_escape(name), rule, problem)) return false;
      }
    } else if ((key == "items" || key == "additionalProperties") && value.is_object()) {
      if (!collect_rule_patterns(value, at + "/" + key, rule, problem)) return false;
    } else if (key == "allOf" && value.is_array()) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (!collect_rule_patterns(value[i], fmt::format("{}/allOf/{}", at, i), rule, problem)) return false;
      }
    } else if (value.is_object() || value.is_array()) {
      std::string inner = value.dump();
      if (inner.find("\"patternProperties\"") != std::string::npos ||
          inner.find("\"format\":\"") != std::string::npos) {
        problem = fmt::format("'patternProperties' and 'format' are not supported in rule schemas (inside '{}')", key);
        return false;
      }
      if (inner.find("\"pattern\"") != std::string::npos) {
        problem = fmt::format(
            "'pattern' is supported under properties, items, additionalProperties and allOf, not "
            "inside '{}'",
            key);
        return false;
      }
    }
  }
  return true;
}

// Every embedded rule file, parsed once. The files are ours and tested
// (tests/unit/rules_engine_test.cpp); a broken one is skipped here.
const std::vector<DeclarativeRule>& builtin_rules() {
  static const std::vector<DeclarativeRule> rules = [] {
    std::vector<DeclarativeRule> out;
    SourceSet sources;
    Diagnostics diags;
    std::string_view all = GWCTL_RULE_FILES;
    while (!all.empty()) {
      auto comma = all.find(',');
      std::string name(all.substr(0, comma));
      all = comma == std::string_view::npos ? std::string_view{} : all.substr(comma + 1);
      std::uint32_t id = sources.add("rules/" + name, "rules", std::string(embedded_file("rules/" + name)));
      if (auto rule = parse_rule_file(sources, id, false, diags)) out.push_back(*rule);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.doc.id < b.doc.id; });
    return out;
  }();
  return rules;
}

}  // namespace

const std::vector<RuleDoc>& rule_docs() {
  static const std::vector<RuleDoc> docs = [] {
    std::vector<RuleDoc> out;
    for (const auto& r : builtin_rules()) out.push_back(r.doc);
    return out;
  }();
  return docs;
}

const RuleDoc* find_rule_doc(std::string_view id) {
  std::string wanted = upper(id);
  const auto& docs = rule_docs();
  auto it = std::lower_bound(docs.begin(), docs.end(), wanted,
                             [](const RuleDoc& d, const std::string& w) { return d.id < w; });
  return it != docs.end() && it->id == wanted ? &*it : nullptr;
}

const std::vector<DeclarativeRule>& builtin_declarative_rules() {
  static const std::vector<DeclarativeRule> rules = [] {
    std::vector<DeclarativeRule> out;
    for (const auto& r : builtin_rules()) {
      if (r.schema) out.push_back(r);
    }
    return out;
  }();
  return rules;
}

bool valid_custom_rule_id(std::string_view id) {
  if (id.size() < 2 || id.size() > 32 || id.starts_with("GW")) return false;
  std::size_t letters = 0;
  while (letters < id.size() && id[letters] >= 'A' && id[letters] <= 'Z') ++letters;
  if (letters == 0 || letters == id.size()) return false;
  return std::all_of(id.begin() + static_cast<std::ptrdiff_t>(letters), id.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

bool looks_like_rule_id(std::string_view id) {
  bool builtin = id.size() == 5 && id.starts_with("GW") &&
                 std::all_of(id.begin() + 2, id.end(), [](char c) { return c >= '0' && c <= '9'; });
  return builtin || valid_custom_rule_id(id);
}

std::shared_ptr<DeclarativeRule> parse_rule_file(const SourceSet& sources, std::uint32_t file, bool custom,
                                                 Diagnostics& diags) {
  ConfigTree tree = load_yaml(sources, file, LoadLimits{}, diags);
  Span top{file, 1, 1, 0};
  auto fail = [&](std::string message, Span span) {
    diags.error("GW117", std::move(message), span.valid() ? span : top);
    return nullptr;
  };
  if (tree.failed) return fail("the rule file could not be read as YAML", top);
  if (!tree.root || tree.root->kind == NodeKind::null) return fail("the rule file is empty", top);
  const Node& root = *tree.root;
  if (!root.is_map()) return fail("a rule file must be a mapping with id, title, severity…", root.span);
  for (const auto& e : root.entries) {
    if (std::find_if(std::begin(kRuleKeys), std::end(kRuleKeys), [&](const char* k) { return e.key == k; }) ==
        std::end(kRuleKeys)) {
      std::vector<std::string> keys(std::begin(kRuleKeys), std::end(kRuleKeys));
      auto& d = diags.error("GW117", fmt::format("unknown key '{}' in a rule file", e.key), e.key_span);
      std::string guess = did_you_mean(e.key, keys);
      if (!guess.empty()) d.hint = fmt::format("did you mean '{}'?", guess);
      return nullptr;
    }
  }
  auto text = [&](const char* key) {
    const Node* n = root.get(key);
    return n && n->is_scalar() ? n->scalar_text() : std::string();
  };
  auto rule = std::make_shared<DeclarativeRule>();
  rule->doc = {text("id"),        text("title"), text("category"), text("severity"),
               text("rationale"), text("fix"),   text("example"),  text("fixed")};
  const std::string& id = rule->doc.id;
  auto span_of = [&](const char* key) {
    const Entry* e = root.entry(key);
    return e ? e->value->span : top;
  };
  if (id.empty()) return fail("a rule file needs an 'id'", top);
  if (custom && !valid_custom_rule_id(id)) {
    return fail(fmt::format("'{}' is not a valid id for a team's rule: use upper-case letters then digits, such "
                            "as ACME001 (ids starting with GW are gwctl's)",
                            id),
                span_of("id"));
  }
  if (!custom && !looks_like_rule_id(id)) return fail(fmt::format("'{}' is not a rule id", id), span_of("id"));
  if (rule->doc.title.empty()) return fail(fmt::format("rule {} needs a 'title'", id), top);
  if (!parse_severity(rule->doc.severity)) {
    return fail(fmt::format("rule {}: 'severity' must be error, warning or info", id), span_of("severity"));
  }
  if (rule->doc.category.empty()) rule->doc.category = custom ? "custom" : std::string(rule_category(id));

  const Node* select = root.get("select");
  const Node* schema = root.get("schema");
  if (!select && !schema) {
    if (custom) return fail(fmt::format("rule {} needs 'select' and 'schema'", id), top);
    return rule;  // documentation of a built-in rule
  }
  if (!select || !select->is_string() || !select->text.starts_with("/")) {
    return fail(fmt::format("rule {}: 'select' must be a JSON-pointer glob such as /routes/*/cache", id),
                select ? select->span : top);
  }
  if (!schema || !schema->is_map()) {
    return fail(fmt::format("rule {}: 'schema' must be a JSON Schema (a mapping)", id), schema ? schema->span : top);
  }
  rule->select = select->text;
  std::string target = text("target");
  if (!target.empty() && target != "model" && target != "config") {
    return fail(fmt::format("rule {}: 'target' must be model or config", id), span_of("target"));
  }
  rule->on_model = target != "config";
  rule->message = text("message");
  if (rule->message.empty()) rule->message = rule->doc.title + " at {path}";
  nlohmann::json schema_json = to_json(*schema);
  std::string problem;
  if (!collect_rule_patterns(schema_json, "", *rule, problem))
    return fail(fmt::format("rule {}: {}", id, problem), schema->span);
  try {
    rule->schema = std::make_shared<Schema>(schema_json.dump());
  } catch (const std::exception& e) {
    return fail(fmt::format("rule {}: 'schema' is not a JSON Schema gwctl can use: {}", id, e.what()), schema->span);
  }
  return rule;
}

}  // namespace gwctl
