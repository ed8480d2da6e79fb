// Schema: the JSON Schemas compiled into gwctl (config, project file, artifact) and the
// queries the validator and normalizer make of them.
//
// valijson checks types, enums, ranges and required fields. Regular expressions never run in
// valijson (it uses std::regex, which backtracks and recurses): `pattern` and `format` are
// stripped from the copy valijson sees and checked by the validator with RE2 instead.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace gwctl {

// The text of an embedded file: "schema/config", "schema/artifact", "schema/project",
// "init/<path>"; empty when there is none.
std::string_view embedded_file(std::string_view name);
// The starter repository's files (relative paths), in order.
std::vector<std::string> init_files();

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

  const nlohmann::json& document() const;
  // Follows $ref; `ref` (when given) receives the name of the last definition followed.
  const nlohmann::json& resolve(const nlohmann::json& node, std::string* ref = nullptr) const;
  // RE2 search of `pattern` in `text`; patterns come from this schema only.
  bool matches(const std::string& pattern, std::string_view text) const;

  struct Violation {
    std::string pointer;      // JSON pointer of the instance
    std::string description;  // valijson's words
  };
  std::vector<Violation> check(const nlohmann::json& value) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gwctl
