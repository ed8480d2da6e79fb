#include "gwctl/lint.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

#include <fmt/format.h>

#include "gwctl/secret_scan.hpp"

namespace gwctl {

namespace {

using Key = std::tuple<std::string, std::uint32_t, std::uint32_t, std::uint32_t, std::string, int>;

Key key_of(const Diagnostic& d) {
  return {d.rule, d.span.file, d.span.line, d.span.column, d.message, static_cast<int>(d.severity)};
}

std::vector<std::string> intersect(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& x : a) {
    if (std::find(b.begin(), b.end(), x) != b.end()) out.push_back(x);
  }
  return out;
}

// Findings in reading order: by file, line, column, then rule.
void sort_findings(const Project& project, std::vector<Finding>& findings) {
  auto path = [&](const Finding& f) {
    return f.diag.span.valid() ? project.sources.file(f.diag.span.file).path : std::string();
  };
  std::stable_sort(findings.begin(), findings.end(), [&](const Finding& a, const Finding& b) {
    return std::make_tuple(path(a), a.diag.span.line, a.diag.span.column, a.diag.rule) <
           std::make_tuple(path(b), b.diag.span.line, b.diag.span.column, b.diag.rule);
  });
}

class Folder {
 public:
  explicit Folder(const Project& project, const std::vector<Variant>& configured)
      : project_(project), configured_(configured) {}

  // `flags` are the variant's flags; what counts is those beyond the environment's own.
  void add(const Diagnostic& d, const std::string& env, const std::vector<std::string>& variant_flags) {
    std::vector<std::string> flags;
    const Variant* base = nullptr;
    for (const auto& c : configured_) {
      if (c.env == env) base = &c;
    }
    for (const auto& f : variant_flags) {
      if (!base || std::find(base->flags.begin(), base->flags.end(), f) == base->flags.end()) flags.push_back(f);
    }
    auto [it, inserted] = index_.try_emplace(key_of(d), findings_.size());
    if (inserted) {
      Finding f;
      f.diag = d;
      f.flags = flags;
      f.layer = d.span.valid() ? project_.sources.file(d.span.file).layer : "";
      findings_.push_back(std::move(f));
    }
    Finding& f = findings_[it->second];
    if (!inserted) f.flags = intersect(f.flags, flags);
    if (std::find(f.envs.begin(), f.envs.end(), env) == f.envs.end()) f.envs.push_back(env);
  }

  std::vector<Finding> take() {
    for (auto& f : findings_) {
      // Environments in project order.
      std::vector<std::string> ordered;
      for (const auto& e : project_.settings.environments) {
        if (std::find(f.envs.begin(), f.envs.end(), e) != f.envs.end()) ordered.push_back(e);
      }
      f.envs = std::move(ordered);
      std::string file = f.diag.span.valid() ? project_.sources.file(f.diag.span.file).path : "";
      std::string anchor = f.diag.path;
      if (anchor.empty() && f.diag.span.valid()) {
        // No config path: the offending source line's text, which survives line moves.
        std::string_view line = project_.sources.file(f.diag.span.file).line(f.diag.span.line);
        auto b = line.find_first_not_of(" \t");
        anchor = b == std::string_view::npos ? "" : std::string(line.substr(b));
      }
      f.fingerprint =
          sha256_hex(fmt::format("{}\n{}\n{}\n{}", f.diag.rule, file, anchor, f.diag.message)).substr(0, 32);
    }
    sort_findings(project_, findings_);
    return std::move(findings_);
  }

 private:
  const Project& project_;
  const std::vector<Variant>& configured_;
  std::map<Key, std::size_t> index_;
  std::vector<Finding> findings_;
};

// `# gwctl:ignore GW405[,GW406] reason="…" [until=YYYY-MM-DD]` on a finding's line or on the
// line above silences it. A suppression without a reason, malformed, or past its date is a
// GW116 finding itself, and silences nothing.
struct Suppression {
  std::vector<std::string> rules;
  std::string reason;
  std::string until;
  std::string problem;  // why it is not valid, or empty
};

std::optional<Suppression> parse_suppression(std::string_view line) {
  auto at = line.find("gwctl:ignore");
  if (at == std::string_view::npos) return std::nullopt;
  auto hash = line.rfind('#', at);
  if (hash == std::string_view::npos) return std::nullopt;
  Suppression s;
  std::string_view rest = line.substr(at + 12);
  auto skip = [&] {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  };
  skip();
  std::size_t end = rest.find_first_of(" \t");
  std::string ids(rest.substr(0, end));
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  for (std::size_t p = 0; p <= ids.size();) {
    std::size_t comma = ids.find(',', p);
    std::string id = ids.substr(p, comma == std::string::npos ? std::string::npos : comma - p);
    if (!id.empty()) s.rules.push_back(id);
    if (comma == std::string::npos) break;
    p = comma + 1;
  }
  bool ids_ok = !s.rules.empty();
  for (const auto& id : s.rules) {
    ids_ok =
        ids_ok && id.size() == 5 && id.starts_with("GW") && id.find_first_not_of("0123456789", 2) == std::string::npos;
  }
  if (!ids_ok) s.problem = "a suppression must name rule ids, like '# gwctl:ignore GW405 reason=\"...\"'";
  for (skip(); !rest.empty(); skip()) {
    if (rest.starts_with("reason=\"")) {
      auto close = rest.find('"', 8);
      if (close == std::string_view::npos) {
        s.problem = "the reason is not closed with '\"'";
        break;
      }
      s.reason = std::string(rest.substr(8, close - 8));
      rest.remove_prefix(close + 1);
    } else if (rest.starts_with("until=")) {
      std::size_t e = rest.find_first_of(" \t");
      s.until = std::string(rest.substr(6, e == std::string_view::npos ? std::string_view::npos : e - 6));
      rest = e == std::string_view::npos ? std::string_view{} : rest.substr(e);
      bool date =
          s.until.size() == 10 && s.until[4] == '-' && s.until[7] == '-' &&
          std::all_of(s.until.begin(), s.until.end(), [](char c) { return (c >= '0' && c <= '9') || c == '-'; });
      if (!date && s.problem.empty()) s.problem = fmt::format("'until={}' is not a date like 2027-01-31", s.until);
    } else {
      break;  // free text after the fields is allowed
    }
  }
  if (s.problem.empty() && s.reason.empty()) s.problem = "a suppression needs a reason: reason=\"why this is fine\"";
  return s;
}

std::vector<Finding> apply_suppressions(const Project& project, std::vector<Finding> findings, const std::string& today,
                                        std::size_t& suppressed) {
  std::vector<Finding> kept;
  std::map<std::pair<std::uint32_t, std::uint32_t>, bool> reported;  // bad suppressions, once each
  std::vector<Finding> problems;
  for (auto& f : findings) {
    bool silenced = false;
    const Span& span = f.diag.span;
    if (span.valid() && span.line > 0 && f.diag.rule != "GW116") {
      const SourceFile& file = project.sources.file(span.file);
      for (std::uint32_t line : {span.line, span.line - 1}) {
        if (line == 0) continue;
        auto s = parse_suppression(file.line(line));
        if (!s) continue;
        std::string problem = s->problem;
        if (problem.empty() && !s->until.empty() && !today.empty() && s->until < today) {
          problem = fmt::format("this suppression expired on {}", s->until);
        }
        if (!problem.empty()) {
          if (!reported[{span.file, line}]) {
            reported[{span.file, line}] = true;
            Finding p;
            std::string_view text = file.line(line);
            auto col = static_cast<std::uint32_t>(text.find('#') + 1);
            p.diag = Diagnostic{Severity::error, "GW116", problem, Span{span.file, line, col, 0}, {}, {}, {}};
            p.diag.notes.push_back({"it would silence this finding", span});
            p.envs = f.envs;
            p.layer = f.layer;
            p.fingerprint = sha256_hex(fmt::format("GW116\n{}\n{}", file.path, text)).substr(0, 32);
            problems.push_back(std::move(p));
          }
          continue;
        }
        if (std::find(s->rules.begin(), s->rules.end(), f.diag.rule) != s->rules.end()) silenced = true;
      }
    }
    if (silenced) {
      ++suppressed;
    } else {
      kept.push_back(std::move(f));
    }
  }
  for (auto& p : problems) kept.push_back(std::move(p));
  sort_findings(project, kept);
  return kept;
}

}  // namespace

LintResult lint(const Project& project, const Diagnostics& project_diags, const LintOptions& options) {
  LintResult result;
  Pipeline pipeline(project);
  std::vector<std::string> envs = options.envs.empty() ? project.settings.environments : options.envs;
  std::vector<Variant> configured_variants;
  for (const auto& env : envs) {
    if (!project.envs.count(env) && !options.envs.empty()) continue;
    Variant configured = pipeline.resolve(env, options.overrides, nullptr);
    configured_variants.push_back(configured);
    result.variants.push_back(configured);
    if (!options.flag_matrix) continue;
    for (const auto& flag : project.flag_names) {
      if (std::find(configured.flags.begin(), configured.flags.end(), flag) != configured.flags.end()) continue;
      bool turned_off = std::any_of(options.overrides.begin(), options.overrides.end(),
                                    [&](const FlagOverride& o) { return o.name == flag && !o.on; });
      if (turned_off) continue;  // --flag F=false: F is not checked anywhere
      auto overrides = options.overrides;
      overrides.push_back({flag, true});
      Variant v = pipeline.resolve(env, overrides, nullptr);
      if (std::find(result.variants.begin(), result.variants.end(), v) == result.variants.end()) {
        result.variants.push_back(v);
      }
    }
  }
  Folder folder(project, configured_variants);
  for (const auto& d : project_diags.all()) {
    // A file's own problems arise wherever the file is used.
    std::string layer = d.span.valid() ? project.sources.file(d.span.file).layer : "";
    for (const auto& v : result.variants) {
      if (variant_uses(v, layer)) folder.add(d, v.env, v.flags);
    }
    if (result.variants.empty()) folder.add(d, "", {});
  }
  Diagnostics secrets;  // GW3xx: every file's raw text, reported even where no variant uses it
  scan_sources_for_secrets(project.sources, secrets);
  for (const auto& d : secrets.all()) {
    bool used = false;
    for (const auto& v : result.variants) {
      if (!variant_uses(v, project.sources.file(d.span.file).layer)) continue;
      folder.add(d, v.env, v.flags);
      used = true;
    }
    if (!used) folder.add(d, "", {});
  }
  for (const auto& v : result.variants) {
    Diagnostics flag_diags;  // e.g. an unknown flag in the environment's `flags:`
    pipeline.resolve(v.env, options.overrides, &flag_diags);
    PipelineResult r = pipeline.run(v, Stage::validate);
    for (const auto& d : flag_diags.all()) folder.add(d, v.env, v.flags);
    for (const auto& d : r.diags.all()) folder.add(d, v.env, v.flags);
  }
  result.findings = apply_suppressions(project, folder.take(), options.today, result.suppressed);
  return result;
}

Tally tally(const std::vector<Finding>& findings) {
  Tally t;
  for (const auto& f : findings) {
    switch (f.diag.severity) {
      case Severity::error:
        ++t.errors;
        break;
      case Severity::warning:
        ++t.warnings;
        break;
      case Severity::info:
        ++t.infos;
        break;
    }
  }
  return t;
}

}  // namespace gwctl
