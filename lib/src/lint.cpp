#include "gwctl/lint.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include <fmt/format.h>

#include "gwctl/parity.hpp"
#include "gwctl/policy.hpp"
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
  // `root`: the variant's merged config, to name the finding's place by entity.
  void add(const Diagnostic& d, const std::string& env, const std::vector<std::string>& variant_flags,
           const Node* root = nullptr) {
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
      if (root && !d.path.empty()) f.entity = describe_path(*root, d.path);
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
  for (const auto& id : s.rules) ids_ok = ids_ok && looks_like_rule_id(id);
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

// The source text a finding is about: its span, or the rest of its line.
std::string offending_text(const Finding& f, const SourceSet& sources) {
  const Span& span = f.diag.span;
  if (!span.valid() || span.line == 0) return f.diag.message;
  std::string_view line = sources.file(span.file).line(span.line);
  std::size_t from = std::min<std::size_t>(span.column > 0 ? span.column - 1 : 0, line.size());
  std::string_view text = span.length > 0 ? line.substr(from, span.length) : line.substr(from);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
  return std::string(text);
}

BaselineEntry baseline_entry(const Finding& f, const SourceSet& sources) {
  std::string file = f.diag.span.valid() ? sources.file(f.diag.span.file).path : "";
  return {f.diag.rule, file, f.entity, sha256_hex(offending_text(f, sources)).substr(0, 16)};
}

void apply_baseline(const SourceSet& sources, const Baseline& baseline, LintResult& result) {
  std::vector<bool> used(baseline.entries.size(), false);
  // Entries by key (a hand-edited file need not be sorted, and may repeat one).
  std::map<BaselineEntry, std::vector<std::size_t>> index;
  for (std::size_t i = 0; i < baseline.entries.size(); ++i) index[baseline.entries[i]].push_back(i);
  std::vector<Finding> kept;
  for (auto& f : result.findings) {
    auto it = index.find(baseline_entry(f, sources));
    if (it != index.end()) {
      for (std::size_t i : it->second) used[i] = true;
      ++result.baselined;
      result.accepted.push_back(std::move(f));
    } else {
      kept.push_back(std::move(f));
    }
  }
  for (std::size_t i = 0; i < baseline.entries.size(); ++i) {
    if (used[i]) continue;
    const auto& e = baseline.entries[i];
    Finding stale;
    stale.diag = Diagnostic{Severity::info,
                            "GW118",
                            fmt::format("baseline entry for {} in '{}'{} no longer matches a finding", e.rule, e.file,
                                        e.entity.empty() ? "" : fmt::format(" at {}", e.entity)),
                            Span{},
                            {},
                            {},
                            "the problem was fixed or its value changed: refresh the baseline with --write-baseline"};
    stale.fingerprint =
        sha256_hex(fmt::format("GW118\n{}\n{}\n{}\n{}", e.rule, e.file, e.entity, e.value)).substr(0, 32);
    kept.push_back(std::move(stale));
  }
  result.findings = std::move(kept);
}

// A literal in a secret-bearing field that the scanner recognised (GW3xx, naming the provider)
// is one problem, not two: the GW111 on the same line goes.
std::vector<Finding> drop_restated_literals(std::vector<Finding> findings) {
  std::set<std::pair<std::uint32_t, std::uint32_t>> scanned;
  for (const auto& f : findings) {
    if (f.diag.rule.starts_with("GW3") && f.diag.span.valid()) scanned.insert({f.diag.span.file, f.diag.span.line});
  }
  if (scanned.empty()) return findings;
  std::erase_if(findings, [&](const Finding& f) {
    return f.diag.rule == "GW111" && scanned.count({f.diag.span.file, f.diag.span.line});
  });
  return findings;
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
  std::set<std::string> broken;  // environments whose configured variant has errors
  for (const auto& d : project_diags.all()) {
    std::string layer = d.span.valid() ? project.sources.file(d.span.file).layer : "";
    if (d.severity == Severity::error && layer.starts_with("env:")) broken.insert(layer.substr(4));
  }
  // The variants are independent: they run in parallel, and are folded in order afterwards so
  // that the report does not depend on scheduling.
  struct Run {
    Diagnostics flag_diags;  // e.g. an unknown flag in the environment's `flags:`
    PipelineResult result;
  };
  std::vector<Run> runs(result.variants.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < runs.size(); i = next++) {
      const Variant& v = result.variants[i];
      pipeline.resolve(v.env, options.overrides, &runs[i].flag_diags);
      runs[i].result = pipeline.run(v, Stage::validate);
    }
  };
  {
    // A thread costs more than a small config's whole variant: only large ones run in parallel.
    std::size_t bytes = 0;
    for (std::uint32_t f = 0; f < project.sources.size(); ++f) bytes += project.sources.file(f).text.size();
    std::size_t threads =
        bytes < (256u << 10)
            ? 1
            : std::min<std::size_t>(runs.size(), std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
    std::vector<std::jthread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const Variant& v = result.variants[i];
    const Diagnostics& flag_diags = runs[i].flag_diags;
    const PipelineResult r = std::move(runs[i].result);
    for (const auto& d : flag_diags.all()) folder.add(d, v.env, v.flags, r.merged.root.get());
    for (const auto& d : r.diags.all()) folder.add(d, v.env, v.flags, r.merged.root.get());
    bool configured = std::find(configured_variants.begin(), configured_variants.end(), v) != configured_variants.end();
    if (configured && (r.diags.has_errors() || flag_diags.has_errors())) broken.insert(v.env);
  }
  // Parity compares environments that compile: a typo in one overlay is its own finding, not
  // also drift.
  std::vector<Variant> comparable;
  for (const auto& v : configured_variants) {
    if (!broken.count(v.env)) comparable.push_back(v);
  }
  if (options.parity && comparable.size() > 1) {
    std::map<std::string, NodePtr> roots;  // each environment's merged config, to name entities
    for (auto& [env, d] : check_parity(pipeline, comparable)) {
      const Variant* v = nullptr;
      for (const auto& c : configured_variants) v = c.env == env ? &c : v;
      Diagnostics one;
      one.report(std::move(d));
      apply_severity_overrides(project.settings.severity, env, one);
      NodePtr& root = roots[env];
      if (!root) root = pipeline.run(Variant{env, {}}, Stage::merge).merged.root;
      for (const auto& kept : one.all()) folder.add(kept, env, v ? v->flags : std::vector<std::string>{}, root.get());
    }
  }
  result.findings =
      apply_suppressions(project, drop_restated_literals(folder.take()), options.today, result.suppressed);
  if (options.baseline) apply_baseline(project.sources, *options.baseline, result);
  for (const auto& rule : project.custom_rules) result.custom_rules.push_back(rule->doc);
  return result;
}

const RuleDoc* find_rule_doc(const LintResult& result, std::string_view id) {
  if (const RuleDoc* doc = find_rule_doc(id)) return doc;
  for (const auto& d : result.custom_rules) {
    if (d.id == id) return &d;
  }
  return nullptr;
}

Baseline make_baseline(const LintResult& result, const SourceSet& sources) {
  Baseline b;
  for (const auto* list : {&result.findings, &result.accepted}) {
    for (const auto& f : *list) {
      if (f.diag.rule != "GW118") b.entries.push_back(baseline_entry(f, sources));
    }
  }
  std::sort(b.entries.begin(), b.entries.end());
  b.entries.erase(std::unique(b.entries.begin(), b.entries.end()), b.entries.end());
  return b;
}

nlohmann::json baseline_to_json(const Baseline& baseline) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : baseline.entries) {
    entries.push_back({{"rule", e.rule}, {"file", e.file}, {"entity", e.entity}, {"value", e.value}});
  }
  nlohmann::json out = nlohmann::json::object();
  out["format_version"] = 1;
  out["tool"] = "gwctl";
  out["entries"] = std::move(entries);
  return out;
}

std::optional<Baseline> parse_baseline(std::string_view text, std::string& error) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "not a JSON object (write one with 'gwctl lint --write-baseline FILE')";
    return std::nullopt;
  }
  if (!j.contains("format_version") || !j["format_version"].is_number_integer() || j["format_version"] != 1) {
    error = "unsupported format_version (expected 1)";
    return std::nullopt;
  }
  Baseline b;
  const auto& entries = j["entries"];
  if (!entries.is_array()) {
    error = "'entries' must be a list";
    return std::nullopt;
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    auto text_of = [&](const char* key) {
      return e.is_object() && e.contains(key) && e[key].is_string() ? e[key].get<std::string>() : std::string();
    };
    BaselineEntry entry{text_of("rule"), text_of("file"), text_of("entity"), text_of("value")};
    if (entry.rule.empty() || entry.value.empty()) {
      error = fmt::format("entry {} needs 'rule' and 'value'", i + 1);
      return std::nullopt;
    }
    b.entries.push_back(std::move(entry));
  }
  return b;
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
