// The valijson adapter: the only file that includes valijson.
#include "gwctl/schema.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "gwctl/config_tree.hpp"
#include "node_adapter.hpp"

namespace gwctl {

std::vector<std::string> init_files() {
  std::vector<std::string> out;
  std::string_view all = GWCTL_INIT_FILES;
  while (!all.empty()) {
    auto comma = all.find(',');
    out.emplace_back(all.substr(0, comma));
    if (comma == std::string_view::npos) break;
    all.remove_prefix(comma + 1);
  }
  return out;
}

namespace {

// Drops string-valued `pattern` and `format` keywords; a property *named* pattern has an
// object value and stays.
void strip_regex_keywords(nlohmann::json& node) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end();) {
      if ((it.key() == "pattern" || it.key() == "format") && it.value().is_string()) {
        it = node.erase(it);
      } else {
        strip_regex_keywords(it.value());
        ++it;
      }
    }
  } else if (node.is_array()) {
    for (auto& v : node) strip_regex_keywords(v);
  }
}

void collect_patterns(const nlohmann::json& node, std::map<std::string, std::unique_ptr<RE2>>& out) {
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() == "pattern" && it.value().is_string()) {
        const std::string& p = it.value().get_ref<const std::string&>();
        if (!out.count(p)) {
          RE2::Options opts;
          opts.set_log_errors(false);
          out.emplace(p, std::make_unique<RE2>(p, opts));
        }
      } else {
        collect_patterns(it.value(), out);
      }
    }
  } else if (node.is_array()) {
    for (const auto& v : node) collect_patterns(v, out);
  }
}

std::string context_to_pointer(const std::vector<std::string>& context) {
  std::string out;
  for (std::size_t i = 1; i < context.size(); ++i) {  // [0] is "<root>"
    const std::string& c = context[i];
    std::string token = c.size() >= 2 && c.front() == '[' && c.back() == ']' ? c.substr(1, c.size() - 2) : c;
    out = pointer_append(out, token);
  }
  return out;
}

}  // namespace

const SchemaNode* SchemaNode::property(std::string_view name) const {
  auto it = std::lower_bound(properties.begin(), properties.end(), name,
                             [](const auto& p, std::string_view n) { return p.first < n; });
  return it != properties.end() && it->first == name ? it->second : nullptr;
}

std::vector<std::string> SchemaNode::property_names() const {
  std::vector<std::string> out;
  for (const auto& p : properties) out.push_back(p.first);
  return out;
}

struct Schema::Impl {
  nlohmann::json document;
  nlohmann::json stripped;
  valijson::Schema compiled;
  std::map<std::string, std::unique_ptr<RE2>> patterns;
  std::map<const nlohmann::json*, std::unique_ptr<SchemaNode>> nodes;
  const SchemaNode* root = nullptr;
  // Entity mode.
  std::vector<std::string> collections;
  valijson::Schema skeleton;
  std::map<std::string, std::unique_ptr<valijson::Schema>> items;
};

namespace {

void populate(valijson::Schema& out, const nlohmann::json& doc) {
  valijson::SchemaParser parser;
  valijson::adapters::NlohmannJsonAdapter adapter(doc);
  parser.populateSchema(adapter, out);
}

template <typename Adapter, typename Value>
std::vector<Schema::Violation> run_valijson(const valijson::Schema& schema, const Value& value,
                                            const std::string& prefix) {
  valijson::Validator validator;
  Adapter adapter(value);
  std::vector<Schema::Violation> out;
  // Most values are valid: a first pass without results skips building error contexts.
  if (validator.validate(schema, adapter, nullptr)) return out;
  valijson::ValidationResults results;
  validator.validate(schema, adapter, &results);
  valijson::ValidationResults::Error e;
  while (results.popError(e)) out.push_back({prefix + context_to_pointer(e.context), e.description});
  return out;
}

}  // namespace

Schema::Schema(std::string_view json_text) : impl_(std::make_unique<Impl>()) {
  impl_->document = nlohmann::json::parse(json_text);
  impl_->stripped = impl_->document;
  strip_regex_keywords(impl_->stripped);
  collect_patterns(impl_->document, impl_->patterns);
  populate(impl_->compiled, impl_->stripped);

  // Compile every reachable schema position once.
  std::function<const SchemaNode*(const nlohmann::json&)> compile =
      [&](const nlohmann::json& raw) -> const SchemaNode* {
    auto found = impl_->nodes.find(&raw);
    if (found != impl_->nodes.end()) return found->second.get();
    auto owned = std::make_unique<SchemaNode>();
    SchemaNode* n = owned.get();
    impl_->nodes.emplace(&raw, std::move(owned));
    std::string ref;
    const nlohmann::json& s = resolve(raw, &ref);
    n->raw = &s;
    if (ref == "duration") n->kind = SchemaNode::Kind::duration;
    if (ref == "size") n->kind = SchemaNode::Kind::size;
    if (ref == "secret_ref") n->kind = SchemaNode::Kind::secret_ref;
    n->is_name = ref == "name";
    if (raw.is_object() && raw.contains("default")) n->default_value = &raw["default"];
    if (!s.is_object()) return n;
    if (!n->default_value && s.contains("default")) n->default_value = &s["default"];
    n->stringly = s.value("type", nlohmann::json()) == "string";
    n->description = s.value("description", std::string());
    if (raw.is_object() && raw.contains("description")) n->description = raw["description"].get<std::string>();
    if (s.contains("pattern") && s["pattern"].is_string()) n->pattern = s["pattern"].get<std::string>();
    n->pattern_message = s.value("x-gwctl-pattern-message", std::string());
    n->message = s.value("x-gwctl-message", std::string());
    if (auto it = s.find("properties"); it != s.end() && it->is_object()) {
      for (auto p = it->begin(); p != it->end(); ++p) n->properties.emplace_back(p.key(), compile(p.value()));
      std::sort(n->properties.begin(), n->properties.end());
    }
    if (auto it = s.find("additionalProperties"); it != s.end()) {
      if (it->is_boolean())
        n->closed = !it->get<bool>();
      else if (it->is_object())
        n->additional = compile(*it);
    }
    if (auto it = s.find("propertyNames"); it != s.end()) {
      const nlohmann::json& names = resolve(*it);
      if (names.contains("pattern") && names["pattern"].is_string())
        n->names_pattern = names["pattern"].get<std::string>();
      n->names_message = names.value("x-gwctl-message", std::string());
    }
    if (auto it = s.find("items"); it != s.end() && it->is_object()) n->items = compile(*it);
    if (auto it = s.find("oneOf"); it != s.end() && it->is_array()) {
      bool only_required = true;
      for (const auto& branch : *it) {
        if (!branch.is_object() || branch.size() != 1 || !branch.contains("required")) only_required = false;
      }
      if (only_required) {
        for (const auto& branch : *it) n->one_of_required.push_back(branch["required"].get<std::vector<std::string>>());
      }
    }
    return n;
  };
  impl_->root = compile(impl_->document);
  // Positions whose values are credentials, directly or as list items / map values: messages
  // about them never quote the value.
  for (auto& [raw, node] : impl_->nodes) {
    (void)raw;
    node->holds_secret = node->kind == SchemaNode::Kind::secret_ref ||
                         (node->items && node->items->kind == SchemaNode::Kind::secret_ref) ||
                         (node->additional && node->additional->kind == SchemaNode::Kind::secret_ref);
  }

  // Entity mode: top-level properties that are maps of objects or lists of objects.
  const nlohmann::json& root = resolve(impl_->stripped);
  if (root.contains("properties") && root.contains("definitions")) {
    nlohmann::json skeleton = impl_->stripped;
    nlohmann::json& sk_props = skeleton["properties"];
    for (auto p = root["properties"].begin(); p != root["properties"].end(); ++p) {
      const nlohmann::json& prop = resolve(p.value());
      const char* slot = nullptr;
      if (prop.value("type", nlohmann::json()) == "object" && prop.contains("additionalProperties") &&
          prop["additionalProperties"].is_object()) {
        slot = "additionalProperties";
      } else if (prop.value("type", nlohmann::json()) == "array" && prop.contains("items") &&
                 prop["items"].is_object()) {
        slot = "items";
      }
      if (!slot || p.value().contains("$ref")) continue;
      const nlohmann::json& item = prop[slot];
      if (resolve(item).value("type", nlohmann::json()) != "object") continue;
      impl_->collections.push_back(p.key());
      nlohmann::json wrapper = {{"definitions", impl_->stripped["definitions"]}};
      wrapper["definitions"]["__gwctl_entity"] = item;
      wrapper["$ref"] = "#/definitions/__gwctl_entity";
      auto compiled_item = std::make_unique<valijson::Schema>();
      populate(*compiled_item, wrapper);
      impl_->items.emplace(p.key(), std::move(compiled_item));
      sk_props[p.key()][slot] = nlohmann::json::object();
    }
    populate(impl_->skeleton, skeleton);
  }
}

const SchemaNode& Schema::root() const {
  return *impl_->root;
}

std::vector<std::string> Schema::collections() const {
  return impl_->collections;
}

std::vector<Schema::Violation> Schema::check_skeleton(const nlohmann::json& value) const {
  return run_valijson<valijson::adapters::NlohmannJsonAdapter>(impl_->skeleton, value, "");
}

std::vector<Schema::Violation> Schema::check_item(const std::string& key, const Node& item) const {
  auto it = impl_->items.find(key);
  if (it == impl_->items.end()) return {};
  return run_valijson<detail::NodeAdapter>(*it->second, item, "");
}

Schema::~Schema() = default;

const Schema& Schema::config() {
  static const Schema s(embedded_file("schema/config"));
  return s;
}
const Schema& Schema::project() {
  static const Schema s(embedded_file("schema/project"));
  return s;
}
const Schema& Schema::artifact() {
  static const Schema s(embedded_file("schema/artifact"));
  return s;
}
const Schema& Schema::tests() {
  static const Schema s(embedded_file("schema/tests"));
  return s;
}

const nlohmann::json& Schema::document() const {
  return impl_->document;
}

const nlohmann::json& Schema::resolve(const nlohmann::json& node, std::string* ref) const {
  const nlohmann::json* cur = &node;
  for (int hops = 0; hops < 16 && cur->is_object(); ++hops) {
    auto it = cur->find("$ref");
    if (it == cur->end() || !it->is_string()) break;
    const std::string& r = it->get_ref<const std::string&>();
    if (!r.starts_with("#/")) break;
    nlohmann::json::json_pointer ptr(r.substr(1));
    if (!impl_->document.contains(ptr)) break;
    if (ref) *ref = r.substr(r.rfind('/') + 1);
    cur = &impl_->document.at(ptr);
  }
  return *cur;
}

bool Schema::matches(const std::string& pattern, std::string_view text) const {
  auto it = impl_->patterns.find(pattern);
  if (it == impl_->patterns.end() || !it->second->ok()) return true;
  return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *it->second);
}

std::vector<Schema::Violation> Schema::check(const nlohmann::json& value) const {
  return run_valijson<valijson::adapters::NlohmannJsonAdapter>(impl_->compiled, value, "");
}

std::vector<Schema::Violation> Schema::check(const Node& value) const {
  return run_valijson<detail::NodeAdapter>(impl_->compiled, value, "");
}

}  // namespace gwctl
