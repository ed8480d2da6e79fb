// Renderers of the semantic diff: text for people, JSON for machines, Markdown for review
// comments. The values they print were sanitized by the engine (semantic_diff.cpp).
#include <fmt/format.h>

#include "gwctl/semantic_diff.hpp"
#include "text_style.hpp"

namespace gwctl {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

namespace {

struct Colors : text::Ansi {
  std::string risk(Risk r) const {
    switch (r) {
      case Risk::high:
        return wrap("1;31", "high");
      case Risk::medium:
        return wrap("1;33", "medium");
      case Risk::low:
        return wrap("1;36", "low");
      case Risk::none:
        break;
    }
    return "none";
  }
  std::string action(ChangeAction a) const {
    switch (a) {
      case ChangeAction::create:
        return wrap("32", "+");
      case ChangeAction::remove:
        return wrap("31", "-");
      case ChangeAction::update:
        break;
    }
    return wrap("33", "~");
  }
};

std::string side(const FieldChange& f, bool before) {
  const auto& v = before ? f.before : f.after;
  return v ? display_value(*v, f.unit) : "(absent)";
}

struct Counts {
  std::size_t high = 0, medium = 0, low = 0;
};

Counts count(const std::vector<EntityChange>& changes) {
  Counts c;
  for (const auto& e : changes) {
    if (e.risk == Risk::high) ++c.high;
    if (e.risk == Risk::medium) ++c.medium;
    if (e.risk == Risk::low) ++c.low;
  }
  return c;
}

using text::plural;

std::string files_line(const EnvironmentDiff& env) {
  std::vector<std::string> parts;
  for (const auto& f : env.files) parts.push_back(fmt::format("{} {}", f.change, f.path));
  return fmt::format("{}", fmt::join(parts, ", "));
}

// Markdown table cells and inline text: no pipes, no HTML, no line breaks.
std::string md(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '|':
        out += "\\|";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\n':
      case '\r':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Inline code: a backtick run longer than any inside. Markdown shows a code span's text as
// written (no entities, no HTML), so only line breaks are replaced, and in a table cell a pipe
// is escaped (GitHub and GitLab honour '\|' there, even in code).
std::string code(std::string_view s, bool table_cell = false) {
  std::size_t longest = 0, run = 0;
  for (char c : s) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string fence(longest + 1, '`');
  std::string body;
  for (char c : s) {
    if (c == '\n' || c == '\r') {
      body += ' ';
    } else if (c == '|' && table_cell) {
      body += "\\|";
    } else {
      body += c;
    }
  }
  bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

}  // namespace

std::string render_diff_text(const DiffReport& report, bool color) {
  Colors c;
  c.on = color;
  std::string out = fmt::format("gwctl diff: {} → {}\n", report.base_label, report.head_label);
  std::size_t changed = 0;
  Counts total;
  for (const auto& env : report.envs) {
    out += "\n";
    if (env.status == "failed") {
      out += fmt::format("{}: {}\n", c.bold(env.env), c.wrap("1;31", "not compared: the config has errors"));
      continue;
    }
    if (env.changes.empty()) {
      out += fmt::format("{}: no changes{}\n", c.bold(env.env),
                         env.files.empty() ? "" : fmt::format(" (files: {})", files_line(env)));
      continue;
    }
    ++changed;
    Counts n = count(env.changes);
    total.high += n.high;
    total.medium += n.medium;
    total.low += n.low;
    out += fmt::format("{}: {}{}, risk {}\n", c.bold(env.env), plural(env.changes.size(), "change"),
                       env.status == "added" || env.status == "removed" ? " (environment " + env.status + ")" : "",
                       c.risk(env.risk));
    if (!env.files.empty()) out += fmt::format("  files: {}\n", files_line(env));
    for (const auto& e : env.changes) {
      out += fmt::format("  {} {} '{}' [{}]\n", c.action(e.action), e.kind, e.name, c.risk(e.risk));
      for (const auto& f : e.fields) {
        out += fmt::format("      {}: {} → {}\n", f.path, side(f, true), side(f, false));
      }
      for (const auto& r : e.reasons) out += fmt::format("      {} {}\n", c.risk(r.risk) + ":", r.text);
    }
  }
  std::size_t failed = 0;
  for (const auto& env : report.envs) failed += env.status == "failed" ? 1 : 0;
  out += fmt::format("\n{} checked, {} changed{}; risk {} ({} high, {} medium, {} low)\n",
                     plural(report.envs.size(), "environment"), changed,
                     failed ? fmt::format(", {} not compared (errors)", failed) : "", c.risk(report.risk), total.high,
                     total.medium, total.low);
  return out;
}

std::string render_diff_json(const DiffReport& report) {
  ordered_json out;
  out["format_version"] = 1;
  out["base"] = report.base_label;
  out["head"] = report.head_label;
  out["risk"] = to_string(report.risk);
  ordered_json envs = ordered_json::array();
  for (const auto& env : report.envs) {
    ordered_json e;
    e["env"] = env.env;
    e["status"] = env.status;
    e["risk"] = to_string(env.risk);
    ordered_json files = ordered_json::array();
    for (const auto& f : env.files) files.push_back(ordered_json{{"path", f.path}, {"change", f.change}});
    e["files"] = files;
    ordered_json changes = ordered_json::array();
    for (const auto& ch : env.changes) {
      ordered_json j;
      j["kind"] = ch.kind;
      j["name"] = ch.name;
      j["action"] = to_string(ch.action);
      j["risk"] = to_string(ch.risk);
      ordered_json reasons = ordered_json::array();
      for (const auto& r : ch.reasons) reasons.push_back(ordered_json{{"risk", to_string(r.risk)}, {"text", r.text}});
      j["reasons"] = reasons;
      ordered_json fields = ordered_json::array();
      for (const auto& f : ch.fields) {
        ordered_json fj;
        fj["path"] = f.path;
        if (f.before) fj["before"] = ordered_json::parse(f.before->dump());
        if (f.after) fj["after"] = ordered_json::parse(f.after->dump());
        if (!f.unit.empty()) fj["unit"] = f.unit;
        fields.push_back(std::move(fj));
      }
      j["fields"] = fields;
      changes.push_back(std::move(j));
    }
    e["changes"] = changes;
    envs.push_back(std::move(e));
  }
  out["environments"] = envs;
  return out.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

std::string render_diff_markdown(const DiffReport& report) {
  std::string out = fmt::format("### gwctl diff: {} → {}\n\n", md(report.base_label), md(report.head_label));
  std::size_t changed = 0, failed = 0;
  for (const auto& env : report.envs) {
    changed += env.changes.empty() ? 0 : 1;
    failed += env.status == "failed" ? 1 : 0;
  }
  out += fmt::format("**Risk: {}** · {} checked, {} changed{}\n", to_string(report.risk),
                     plural(report.envs.size(), "environment"), changed,
                     failed ? fmt::format(", **{} not compared (errors)**", failed) : "");
  for (const auto& env : report.envs) {
    if (env.status == "failed") {
      out += fmt::format("\n#### {}: **not compared: the config has errors**\n", md(env.env));
      continue;
    }
    out += fmt::format("\n#### {}: {}\n\n", md(env.env),
                       env.changes.empty()
                           ? std::string("no changes")
                           : fmt::format("{}, risk **{}**", plural(env.changes.size(), "change"), to_string(env.risk)));
    if (!env.files.empty()) out += fmt::format("Files: {}\n\n", md(files_line(env)));
    if (env.changes.empty()) continue;
    out += "| | kind | name | risk | why |\n|---|---|---|---|---|\n";
    for (const auto& e : env.changes) {
      out += fmt::format("| {} | {} | {} | {} | {} |\n", to_string(e.action), e.kind, code(e.name, true),
                         e.risk == Risk::high ? "**high**" : std::string(to_string(e.risk)),
                         e.reasons.empty() ? std::string() : md(e.reasons.front().text));
    }
    out += fmt::format("\n<details><summary>{}: details of {}</summary>\n\n", md(env.env),
                       plural(env.changes.size(), "change"));
    for (const auto& e : env.changes) {
      out += fmt::format("**{} {} {}** ({})\n\n", to_string(e.action), e.kind, code(e.name, true), to_string(e.risk));
      for (const auto& f : e.fields) {
        out += fmt::format("- {}: {} → {}\n", code(f.path), code(side(f, true)), code(side(f, false)));
      }
      for (const auto& r : e.reasons) out += fmt::format("- {}: {}\n", to_string(r.risk), md(r.text));
      out += "\n";
    }
    out += "</details>\n";
  }
  return out;
}

}  // namespace gwctl
