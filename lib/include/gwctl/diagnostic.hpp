// Diagnostics: the one type every stage reports user mistakes with.
//
// Stages never format text. They push Diagnostics into a sink; the CLI (or a test) renders them
// with report.hpp. A Span points into a SourceFile registered in a SourceSet (source.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gwctl {

enum class Severity : std::uint8_t { info, warning, error };

std::string_view to_string(Severity s);
std::optional<Severity> parse_severity(std::string_view s);

// A position in a source file. `file` indexes SourceSet; line and column are 1-based; a
// `length` of 0 means "one character".
struct Span {
  static constexpr std::uint32_t no_file = UINT32_MAX;
  std::uint32_t file = no_file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::uint32_t length = 0;

  bool valid() const { return file != no_file; }
  friend bool operator==(const Span&, const Span&) = default;
};

struct Note {
  std::string message;
  Span span;  // may be invalid: a note without a location
};

struct Diagnostic {
  Severity severity = Severity::error;
  std::string rule;     // "GW102"
  std::string message;  // lower-case, names things in 'quotes'
  Span span;
  std::string path;  // JSON pointer into the merged config, when there is one
  std::vector<Note> notes;
  std::string hint;         // "did you mean …", how to fix
  bool mask_span = false;   // the span holds a credential: renderers must not show it
  bool mask_value = false;  // the span is a key whose value may be a credential
};

// Where a stage reports. Collects in order; deduplication and attribution to environments
// happen in the lint driver, not here.
class Diagnostics {
 public:
  void report(Diagnostic d);
  Diagnostic& error(std::string rule, std::string message, Span span, std::string path = {});
  Diagnostic& warning(std::string rule, std::string message, Span span, std::string path = {});

  const std::vector<Diagnostic>& all() const { return items_; }
  std::vector<Diagnostic>& all() { return items_; }
  bool has_errors() const { return errors_ > 0; }
  std::size_t error_count() const { return errors_; }
  std::size_t size() const { return items_.size(); }
  void append(const Diagnostics& other);

 private:
  std::vector<Diagnostic> items_;
  std::size_t errors_ = 0;
};

// The category word of a rule id: GW1xx structure, GW2xx references, … (DESIGN.md section 7).
std::string_view rule_category(std::string_view rule);

// Edit distance based suggestion: the closest candidate within a distance that scales with the
// word's length, or empty.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace gwctl
