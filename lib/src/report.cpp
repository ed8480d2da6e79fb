#include "gwctl/report.hpp"

#include "gwctl/rules.hpp"
#include "gwctl/secret_scan.hpp"
#include "gwctl/secrets.hpp"
#include "gwctl/version.hpp"
#include "text_style.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>

namespace gwctl {

namespace {

// A custom rule's own category, else the one its id implies.
std::string category_of(const LintResult& result, const std::string& rule) {
  const RuleDoc* doc = find_rule_doc(result, rule);
  return doc && !doc->category.empty() ? doc->category : std::string(rule_category(rule));
}

struct Palette : text::Ansi {
  std::string severity(Severity s) const {
    switch (s) {
      case Severity::error:
        return wrap("1;31", "error");
      case Severity::warning:
        return wrap("1;33", "warning");
      case Severity::info:
        return wrap("1;36", "info");
    }
    return "error";
  }
  std::string gutter(std::string_view t) const { return wrap("34", t); }
  std::string caret(std::string_view t, Severity s) const {
    return wrap(s == Severity::error ? "1;31" : s == Severity::warning ? "1;33" : "1;36", t);
  }
};

// Display width of a prefix of a line: code points, with tabs shown as one space.
std::size_t display_width(std::string_view s) {
  std::size_t w = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++w;
  }
  return w;
}

std::string location(const Span& span, const SourceSet& sources) {
  if (!span.valid()) return "gwctl";
  const SourceFile& f = sources.file(span.file);
  if (span.line == 0) return f.path;
  return fmt::format("{}:{}:{}", f.path, span.line, span.column);
}

// Bytes that would garble a terminal (control characters, invalid UTF-8) become '?'.
std::string printable(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  const auto* p = reinterpret_cast<const unsigned char*>(line.data());
  std::size_t n = line.size();
  for (std::size_t i = 0; i < n;) {
    unsigned char c = p[i];
    if (c == '\t') {
      out += ' ';
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      out += '?';
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else {
      std::size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
      bool ok = len > 0 && i + len <= n;
      for (std::size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xC0) == 0x80;
      if (ok) {
        out.append(line.substr(i, len));
        i += len;
      } else {
        out += '?';
        ++i;
      }
    }
  }
  return out;
}

void snippet(std::string& out, const Span& span, const SourceSet& sources, Severity sev, const Palette& p,
             bool mask = false, bool mask_value = false) {
  if (!span.valid() || span.line == 0) return;
  const SourceFile& f = sources.file(span.file);
  std::string_view raw = f.line(span.line);
  if (raw.empty() && f.text.empty()) return;
  std::string masked = mask_secret_values(mask_detected_secrets(raw));  // any other credential on the line too
  if (mask_value && span.column > 0 && span.column - 1 < masked.size()) {
    std::size_t colon = masked.find(':', span.column - 1);
    std::size_t to = colon == std::string::npos ? colon : masked.find(" #", colon);
    for (std::size_t i = colon == std::string::npos ? masked.size() : colon + 1; i < std::min(to, masked.size()); ++i) {
      if (masked[i] != ' ' && masked[i] != '"' && masked[i] != '\'') masked[i] = '*';
    }
  }
  if (mask && span.column > 0 && span.column - 1 < masked.size()) {
    // The scalar at the span: a quoted one to its closing quote in the source (escapes make
    // the decoded length differ), a plain one by its length, else to the end of the line.
    std::size_t from = span.column - 1;
    std::size_t to;
    char q = masked[from];
    if (q == '"' || q == '\'') {
      to = from + 1;
      while (to < masked.size() && !(masked[to] == q && !(q == '"' && masked[to - 1] == '\\'))) ++to;
      to = std::min(masked.size(), to + 1);
    } else {
      to = span.length > 1 ? std::min(masked.size(), from + span.length) : masked.find(" #", from);
      if (to == std::string::npos) to = masked.size();
    }
    for (std::size_t i = from; i < to; ++i) {
      if (masked[i] != ' ' && masked[i] != '"' && masked[i] != '\'') masked[i] = '*';
    }
  }
  std::string_view line = masked;
  // Long lines are shown as a window around the column.
  constexpr std::size_t window = 120;
  std::size_t col0 = span.column > 0 ? span.column - 1 : 0;
  std::string prefix, suffix;
  if (line.size() > window) {
    std::size_t start = col0 > window / 2 ? col0 - window / 2 : 0;
    while (start > 0 && (static_cast<unsigned char>(line[start]) & 0xC0) == 0x80) --start;
    std::size_t end = std::min(line.size(), start + window);
    while (end < line.size() && (static_cast<unsigned char>(line[end]) & 0xC0) == 0x80) ++end;
    if (start > 0) prefix = "...";
    if (end < line.size()) suffix = "...";
    line = line.substr(start, end - start);
    col0 -= start;
  }
  std::string shown = prefix + printable(line) + suffix;
  std::string num = std::to_string(span.line);
  std::string pad(num.size(), ' ');
  std::size_t col = col0;
  std::size_t indent = prefix.size() + display_width(line.substr(0, std::min(col, line.size())));
  std::size_t rest = col < line.size() ? display_width(line.substr(col)) : 1;
  std::size_t len =
      std::max<std::size_t>(1, std::min<std::size_t>(span.length ? span.length : 1, std::max<std::size_t>(rest, 1)));
  std::string marks = "^" + std::string(len - 1, '~');
  out += fmt::format(" {} {} {}\n", p.gutter(num), p.gutter("|"), shown);
  out += fmt::format(" {} {} {}{}\n", pad, p.gutter("|"), std::string(indent, ' '), p.caret(marks, sev));
}

}  // namespace

// Messages quote user text (keys, values): keep them on one line, free of terminal escapes
// and of CI workflow commands, and of bounded length.
static std::string clean(std::string_view text) {
  constexpr std::size_t longest = 400;
  std::string out = printable(text.substr(0, longest));
  if (text.size() > longest) out += "...";
  return out;
}

std::string render_diagnostic(const Diagnostic& d, const SourceSet& sources, const RenderOptions& options) {
  Palette p;
  p.on = options.color;
  std::string out = fmt::format("{}: {}[{}]: {}\n", p.bold(location(d.span, sources)), p.severity(d.severity), d.rule,
                                p.bold(clean(d.message)));
  snippet(out, d.span, sources, d.severity, p, d.mask_span, d.mask_value);
  if (!d.hint.empty()) out += fmt::format("  = {}: {}\n", p.bold("help"), clean(d.hint));
  for (const auto& n : d.notes) {
    out += fmt::format("{}: {}: {}\n", p.bold(location(n.span, sources)), p.wrap("1;36", "note"), clean(n.message));
    snippet(out, n.span, sources, Severity::info, p);
  }
  return out;
}

std::string render_diagnostics(const Diagnostics& diags, const SourceSet& sources, const RenderOptions& options) {
  std::string out;
  for (const auto& d : diags.all()) out += render_diagnostic(d, sources, options);
  return out;
}

std::string render_findings_text(const LintResult& result, const SourceSet& sources, const RenderOptions& options) {
  std::string out;
  std::size_t env_count = 0;
  std::vector<std::string> seen;
  for (const auto& v : result.variants) {
    if (std::find(seen.begin(), seen.end(), v.env) == seen.end()) seen.push_back(v.env);
  }
  env_count = seen.size();
  for (const auto& f : result.findings) {
    out += render_diagnostic(f.diag, sources, options);
    if (!f.envs.empty()) {
      std::string where = fmt::format("{}", fmt::join(f.envs, ", "));
      if (!f.flags.empty())
        where += fmt::format(" (with flag{} {})", f.flags.size() > 1 ? "s" : "", fmt::join(f.flags, ", "));
      out += fmt::format("  = in: {}\n", where);
    }
    out += "\n";
  }
  Tally t = tally(result.findings);
  using text::plural;
  out += fmt::format("{}, {}, {} ({} checked in {})\n", plural(t.errors, "error"), plural(t.warnings, "warning"),
                     plural(t.infos, "info"), plural(result.variants.size(), "configuration"),
                     plural(env_count, "environment"));
  if (result.suppressed > 0)
    out += fmt::format("{} suppressed by gwctl:ignore\n", plural(result.suppressed, "finding"));
  if (result.baselined > 0) out += fmt::format("{} accepted by the baseline\n", plural(result.baselined, "finding"));
  return out;
}

nlohmann::json render_findings_json(const LintResult& result, const SourceSet& sources) {
  using json = nlohmann::json;
  json findings = json::array();
  for (const auto& f : result.findings) {
    const Diagnostic& d = f.diag;
    json notes = json::array();
    for (const auto& n : d.notes) {
      json note = {{"message", n.message}};
      if (n.span.valid()) {
        note["file"] = sources.file(n.span.file).path;
        note["line"] = n.span.line;
        note["column"] = n.span.column;
      }
      notes.push_back(note);
    }
    if (!d.hint.empty()) notes.push_back({{"message", "help: " + d.hint}});
    findings.push_back({
        {"rule", d.rule},
        {"severity", to_string(d.severity)},
        {"category", category_of(result, d.rule)},
        {"message", d.message},
        {"file", d.span.valid() ? json(sources.file(d.span.file).path) : json(nullptr)},
        {"line", d.span.valid() ? json(d.span.line) : json(nullptr)},
        {"column", d.span.valid() ? json(d.span.column) : json(nullptr)},
        {"env", f.envs},
        {"flags", f.flags},
        {"layer", f.layer},
        {"path", d.path},
        {"notes", notes},
        {"fingerprint", f.fingerprint},
    });
  }
  Tally t = tally(result.findings);
  json variants = json::array();
  for (const auto& v : result.variants) variants.push_back({{"env", v.env}, {"flags", v.flags}});
  return {{"format_version", 1},
          {"findings", findings},
          {"summary",
           {{"errors", t.errors},
            {"warnings", t.warnings},
            {"infos", t.infos},
            {"suppressed", result.suppressed},
            {"baselined", result.baselined},
            {"checked", variants}}}};
}

namespace {

struct Place {
  std::string file;
  std::uint32_t line = 1, column = 1;
};

Place place_of(const Diagnostic& d, const SourceSet& sources, const std::string& fallback) {
  if (!d.span.valid()) return {fallback, 1, 1};
  return {sources.file(d.span.file).path, std::max(1u, d.span.line), std::max(1u, d.span.column)};
}

// The message a machine report carries: the text report's words, cleaned, with the hint.
std::string full_message(const Diagnostic& d) {
  std::string m = clean(d.message);
  if (!d.hint.empty()) m += " (" + clean(d.hint) + ")";
  return m;
}

// Workflow command escaping: data escapes %, CR, LF; properties also ':' and ','.
std::string gh_escape(std::string_view s, bool property) {
  std::string out;
  for (char c : s) {
    if (c == '%')
      out += "%25";
    else if (c == '\r')
      out += "%0D";
    else if (c == '\n')
      out += "%0A";
    else if (property && c == ':')
      out += "%3A";
    else if (property && c == ',')
      out += "%2C";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string text::xml_escape(std::string_view s) {
  // Line by line, so that line breaks survive (XML keeps them in text content).
  std::string clean;
  for (std::size_t start = 0;;) {
    std::size_t nl = s.find('\n', start);
    clean += printable(s.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    clean += '\n';
    start = nl + 1;
  }
  std::string out;
  for (char c : clean) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

nlohmann::json render_findings_sarif(const LintResult& result, const SourceSet& sources,
                                     const std::string& fallback_file) {
  using json = nlohmann::json;
  std::vector<std::string> ids;
  for (const auto& f : result.findings) {
    if (std::find(ids.begin(), ids.end(), f.diag.rule) == ids.end()) ids.push_back(f.diag.rule);
  }
  std::sort(ids.begin(), ids.end());
  auto level = [](Severity s) { return s == Severity::error ? "error" : s == Severity::warning ? "warning" : "note"; };
  json rules = json::array();
  for (const auto& id : ids) {
    json rule = {{"id", id}};
    if (const RuleDoc* doc = find_rule_doc(result, id)) {
      rule["name"] = doc->title;
      rule["shortDescription"] = {{"text", doc->title}};
      rule["fullDescription"] = {{"text", doc->rationale}};
      rule["help"] = {{"text", doc->fix}};
      rule["defaultConfiguration"] = {{"level", doc->severity == "info" ? "note" : doc->severity}};
      rule["properties"] = {{"category", doc->category}};
    }
    rules.push_back(rule);
  }
  json results = json::array();
  for (const auto& f : result.findings) {
    Place at = place_of(f.diag, sources, fallback_file);
    json related = json::array();
    for (std::size_t i = 0; i < f.diag.notes.size(); ++i) {
      const Note& n = f.diag.notes[i];
      if (!n.span.valid()) continue;
      related.push_back(
          {{"id", static_cast<int>(i)},
           {"message", {{"text", clean(n.message)}}},
           {"physicalLocation",
            {{"artifactLocation", {{"uri", sources.file(n.span.file).path}}},
             {"region", {{"startLine", std::max(1u, n.span.line)}, {"startColumn", std::max(1u, n.span.column)}}}}}});
    }
    json r = {
        {"ruleId", f.diag.rule},
        {"ruleIndex", std::find(ids.begin(), ids.end(), f.diag.rule) - ids.begin()},
        {"level", level(f.diag.severity)},
        {"message", {{"text", full_message(f.diag)}}},
        {"locations", json::array({{{"physicalLocation",
                                     {{"artifactLocation", {{"uri", at.file}}},
                                      {"region", {{"startLine", at.line}, {"startColumn", at.column}}}}}}})},
        {"partialFingerprints", {{"gwctl/v1", f.fingerprint}}},
        {"properties", {{"environments", f.envs}, {"flags", f.flags}, {"path", f.diag.path}}},
    };
    if (!related.empty()) r["relatedLocations"] = related;
    results.push_back(r);
  }
  return {
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs",
       json::array({{{"tool", {{"driver", {{"name", "gwctl"}, {"version", std::string(version())}, {"rules", rules}}}}},
                     {"results", results}}})}};
}

std::string render_findings_junit(const LintResult& result, const SourceSet& sources,
                                  const std::string& fallback_file) {
  std::map<std::string, std::vector<const Finding*>> by_file;
  for (const auto& f : result.findings) by_file[place_of(f.diag, sources, fallback_file).file].push_back(&f);
  std::size_t total = result.findings.size();
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"gwctl lint\" tests=\"{}\" failures=\"{}\">\n", std::max<std::size_t>(total, 1),
                     total);
  if (result.findings.empty()) {
    out +=
        "  <testsuite name=\"gwctl lint\" tests=\"1\" failures=\"0\">\n"
        "    <testcase classname=\"gwctl\" name=\"no findings\"/>\n  </testsuite>\n";
  }
  for (const auto& [file, findings] : by_file) {
    out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n", text::xml_escape(file),
                       findings.size(), findings.size());
    for (const Finding* f : findings) {
      Place at = place_of(f->diag, sources, fallback_file);
      std::string name = fmt::format("{} {}:{}:{}", f->diag.rule, at.file, at.line, at.column);
      std::string body =
          fmt::format("{}:{}:{}: {}[{}]: {}\nin: {}", at.file, at.line, at.column, to_string(f->diag.severity),
                      f->diag.rule, full_message(f->diag), fmt::join(f->envs, ", "));
      out +=
          fmt::format("    <testcase classname=\"{}\" name=\"{}\">\n", text::xml_escape(file), text::xml_escape(name));
      out += fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                         text::xml_escape(clean(f->diag.message)),
                         text::xml_escape(std::string(to_string(f->diag.severity))), text::xml_escape(body));
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

std::string render_findings_github(const LintResult& result, const SourceSet& sources) {
  std::string out;
  for (const auto& f : result.findings) {
    const char* kind = f.diag.severity == Severity::error     ? "error"
                       : f.diag.severity == Severity::warning ? "warning"
                                                              : "notice";
    std::string title = f.diag.rule;
    if (const RuleDoc* doc = find_rule_doc(result, f.diag.rule)) title += " " + doc->title;
    if (f.diag.span.valid()) {
      Place at = place_of(f.diag, sources, "");
      out += fmt::format("::{} file={},line={},col={},title={}::{}\n", kind, gh_escape(at.file, true), at.line,
                         at.column, gh_escape(title, true), gh_escape(full_message(f.diag), false));
    } else {
      out += fmt::format("::{} title={}::{}\n", kind, gh_escape(title, true), gh_escape(full_message(f.diag), false));
    }
  }
  return out;
}

nlohmann::json render_findings_gitlab(const LintResult& result, const SourceSet& sources,
                                      const std::string& fallback_file) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : result.findings) {
    Place at = place_of(f.diag, sources, fallback_file);
    const char* severity = f.diag.severity == Severity::error     ? "critical"
                           : f.diag.severity == Severity::warning ? "major"
                                                                  : "info";
    out.push_back({{"description", fmt::format("{}: {}", f.diag.rule, full_message(f.diag))},
                   {"check_name", f.diag.rule},
                   {"fingerprint", f.fingerprint},
                   {"severity", severity},
                   {"categories", {category_of(result, f.diag.rule)}},
                   {"location", {{"path", at.file}, {"lines", {{"begin", at.line}}}}}});
  }
  return out;
}

}  // namespace gwctl
