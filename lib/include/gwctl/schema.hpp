// Schema: the JSON Schemas compiled into gwctl (config, project file, artifact) and the
// queries the validator and normalizer make of them.
//
// valijson checks types, enums, ranges and required fields. Regular expressions never run in
// valijson (it uses std::regex, which backtracks and recurses): `pattern` and `format` are
// stripped from the copy valijson sees and checked by the validator with RE2 instead.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace gwctl {

struct Node;

// The text of an embedded file: "schema/config", "schema/artifact", "schema/project",
// "schema/tests", "init/<path>"; empty when there is none.
std::string_view embedded_file(std::string_view name);
// The starter repository's files (relative paths), in order.
std::vector<std::string> init_files();

// One schema position, compiled: `$ref` followed, properties indexed, patterns compiled. The
// validator and normalizer walk these instead of the JSON document.
struct SchemaNode {
  enum class Kind : std::uint8_t { plain, duration, size, secret_ref };
  Kind kind = Kind::plain;              // from the definition a `$ref` names
  bool is_name = false;                 // `$ref: #/definitions/name`
  bool stringly = false;                // type is "string"
  const nlohmann::json* raw = nullptr;  // the resolved JSON schema (enum, bounds, description…)
  const nlohmann::json* default_value = nullptr;
  std::vector<std::pair<std::string, const SchemaNode*>> properties;  // sorted by name
  const SchemaNode* additional = nullptr;                             // schema of other keys, when an object
  bool closed = false;                                                // additionalProperties: false
  const SchemaNode* items = nullptr;
  std::string pattern;                                    // checked with RE2 through Schema::matches
  std::string pattern_message;                            // x-gwctl-pattern-message: why a value fails it
  std::string names_pattern;                              // propertyNames pattern
  std::string names_message;                              // its x-gwctl-message: why a key fails it
  std::vector<std::vector<std::string>> one_of_required;  // oneOf made only of `required` branches
  std::string message;                                    // x-gwctl-message
  bool holds_secret = false;  // a secret reference, or a list/mapping whose values are secret references
  std::string description;

  const SchemaNode* property(std::string_view name) const;
  std::vector<std::string> property_names() const;
};

class Schema {
 public:
  explicit Schema(std::string_view json_text);
  ~Schema();
  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;

  // The embedded schemas, parsed once.
  static const Schema& config();
  static const Schema& project();
  static const Schema& artifact();
  static const Schema& tests();  // route test files (gwctl test)

  const nlohmann::json& document() const;
  // Follows $ref; `ref` (when given) receives the name of the last definition followed.
  const nlohmann::json& resolve(const nlohmann::json& node, std::string* ref = nullptr) const;
  // RE2 search of `pattern` in `text`; patterns come from this schema only.
  bool matches(const std::string& pattern, std::string_view text) const;

  const SchemaNode& root() const;

  struct Violation {
    std::string pointer;      // JSON pointer of the instance
    std::string description;  // valijson's words
  };
  // valijson over the whole value.
  std::vector<Violation> check(const nlohmann::json& value) const;
  std::vector<Violation> check(const Node& value) const;

  // Entity mode, for large configs: the top-level collections (objects keyed by name, lists)
  // whose items can be checked one at a time. `check_skeleton` checks a document whose
  // collection items are not looked at; `check_item` one item of collection `key`.
  std::vector<std::string> collections() const;
  std::vector<Violation> check_skeleton(const nlohmann::json& value) const;
  std::vector<Violation> check_item(const std::string& key, const Node& item) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gwctl
