#include "gwctl/diagnostic.hpp"

#include <algorithm>

namespace gwctl {

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::error:
      return "error";
  }
  return "error";
}

std::optional<Severity> parse_severity(std::string_view s) {
  if (s == "info") return Severity::info;
  if (s == "warning") return Severity::warning;
  if (s == "error") return Severity::error;
  return std::nullopt;
}

void Diagnostics::report(Diagnostic d) {
  if (d.severity == Severity::error) ++errors_;
  items_.push_back(std::move(d));
}

Diagnostic& Diagnostics::error(std::string rule, std::string message, Span span, std::string path) {
  report({Severity::error, std::move(rule), std::move(message), span, std::move(path), {}, {}});
  return items_.back();
}

Diagnostic& Diagnostics::warning(std::string rule, std::string message, Span span, std::string path) {
  report({Severity::warning, std::move(rule), std::move(message), span, std::move(path), {}, {}});
  return items_.back();
}

void Diagnostics::append(const Diagnostics& other) {
  for (const auto& d : other.items_) report(d);
}

std::string_view rule_category(std::string_view rule) {
  if (!rule.starts_with("GW")) return "custom";
  if (rule.size() < 3) return "structure";
  switch (rule[2]) {
    case '1':
      return "structure";
    case '2':
      return "references";
    case '3':
      return "secrets";
    case '4':
      return "auth";
    case '5':
      return "resilience";
    case '6':
      return "cost";
    case '7':
      return "parity";
    default:
      return "structure";
  }
}

namespace {
// Optimal string alignment distance (edits plus adjacent transpositions, so "prdo" is one
// step from "prod"), giving up with max+1 once the length difference alone exceeds max.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t max) {
  if (a.size() > b.size() + max || b.size() > a.size() + max) return max + 1;
  std::vector<std::size_t> two(b.size() + 1), one(b.size() + 1), row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) one[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    row[0] = i;
    std::size_t best = row[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      std::size_t v = std::min({one[j] + 1, row[j - 1] + 1, one[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) v = std::min(v, two[j - 2] + 1);
      row[j] = v;
      best = std::min(best, v);
    }
    if (best > max) return max + 1;  // every later row is at least as far
    std::swap(two, one);
    std::swap(one, row);
  }
  return one[b.size()];
}
}  // namespace

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  // Names are short; suggestions for long user strings would cost time for nothing.
  constexpr std::size_t longest = 64;
  if (word.size() > longest) return {};
  std::size_t max = std::max<std::size_t>(1, std::min<std::size_t>(3, word.size() / 3));
  std::size_t best = max + 1;
  std::string out;
  for (const auto& c : candidates) {
    if (c.size() > longest) continue;
    std::size_t d = edit_distance(word, c, max);
    if (d < best) {
      best = d;
      out = c;
    }
  }
  return out;
}

}  // namespace gwctl
