// The valijson adapter: the only file that includes valijson.
#include "gwctl/schema.hpp"

#include <re2/re2.h>

#include <map>
#include <mutex>
#include <sstream>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

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
    out += '/';
    for (char ch : token) {
      if (ch == '~') out += "~0";
      else if (ch == '/') out += "~1";
      else out += ch;
    }
  }
  return out;
}

}  // namespace

struct Schema::Impl {
  nlohmann::json document;
  nlohmann::json stripped;
  valijson::Schema compiled;
  std::map<std::string, std::unique_ptr<RE2>> patterns;
};

Schema::Schema(std::string_view json_text) : impl_(std::make_unique<Impl>()) {
  impl_->document = nlohmann::json::parse(json_text);
  impl_->stripped = impl_->document;
  strip_regex_keywords(impl_->stripped);
  collect_patterns(impl_->document, impl_->patterns);
  valijson::SchemaParser parser;
  valijson::adapters::NlohmannJsonAdapter adapter(impl_->stripped);
  parser.populateSchema(adapter, impl_->compiled);
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

const nlohmann::json& Schema::document() const { return impl_->document; }

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
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(value);
  std::vector<Violation> out;
  if (validator.validate(impl_->compiled, adapter, &results)) return out;
  valijson::ValidationResults::Error e;
  while (results.popError(e)) out.push_back({context_to_pointer(e.context), e.description});
  return out;
}

}  // namespace gwctl
