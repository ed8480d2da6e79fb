// Shared helpers for the unit tests: trees from YAML text, projects from in-memory files.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "gwctl/config_tree.hpp"
#include "gwctl/diagnostic.hpp"
#include "gwctl/lint.hpp"
#include "gwctl/load.hpp"
#include "gwctl/merge.hpp"
#include "gwctl/pipeline.hpp"
#include "gwctl/project.hpp"
#include "gwctl/report.hpp"
#include "gwctl/source.hpp"

namespace gwctl::test {

// One YAML text, loaded as file `path`.
struct Loaded {
  SourceSet sources;
  Diagnostics diags;
  ConfigTree tree;
};

inline Loaded load_text(const std::string& text, const std::string& path = "base/a.yaml", LoadLimits limits = {}) {
  Loaded l;
  std::uint32_t id = l.sources.add(path, "base", text);
  l.tree = load_yaml(l.sources, id, limits, l.diags);
  return l;
}

// Every diagnostic rendered without colour, concatenated.
inline std::string rendered(const Diagnostics& diags, const SourceSet& sources) {
  return render_diagnostics(diags, sources, RenderOptions{false});
}

// Merges the texts in order (each its own file) and returns the merged root.
struct Merged {
  SourceSet sources;
  Diagnostics diags;
  NodePtr root;
};

inline Merged merge_texts(const std::vector<std::pair<std::string, std::string>>& files) {
  Merged m;
  for (const auto& [path, text] : files) {
    std::uint32_t id = m.sources.add(path, path.substr(0, path.find('/')), text);
    ConfigTree t = load_yaml(m.sources, id, LoadLimits{}, m.diags);
    m.root = merge_trees(m.root, t.root, m.diags);
  }
  return m;
}

inline MemoryReader reader_of(const std::map<std::string, std::string>& files) {
  MemoryReader r;
  for (const auto& [p, t] : files) r.add(p, t);
  return r;
}

// A minimal valid base layer.
inline const char* minimal_base = R"(version: 1
gateway:
  name: test
providers:
  openai:
    kind: openai
    base_url: https://api.openai.com/v1
    api_key: ${secret:OPENAI_API_KEY}
models:
  gpt-4o:
    provider: openai
    id: gpt-4o-2024-11-20
routes:
  - name: chat
    match: {path: /v1/chat/completions, methods: [POST]}
    models: [gpt-4o]
    default_model: gpt-4o
    timeouts: {total: 60s, first_byte: 20s, idle: 20s}
    resilience: {max_attempts: 2}
    limits: [{requests: 100, per: 1m}]
)";

inline std::string messages(const Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags.all()) out += d.rule + ": " + d.message + "\n";
  return out;
}

// The findings of one rule.
inline std::vector<Finding> of_rule(const LintResult& r, const std::string& rule) {
  std::vector<Finding> out;
  for (const auto& f : r.findings) {
    if (f.diag.rule == rule) out.push_back(f);
  }
  return out;
}

}  // namespace gwctl::test

namespace gwctl::test {

// A project from in-memory files, run through the pipeline for one environment.
struct Compiled {
  Project project;
  Diagnostics load_diags;
  PipelineResult result;
  std::string all_rendered() const {
    return rendered(load_diags, project.sources) + rendered(result.diags, project.sources);
  }
  bool has_errors() const { return load_diags.has_errors() || result.diags.has_errors(); }
};

inline std::unique_ptr<Compiled> compile(const std::map<std::string, std::string>& files, const std::string& env,
                                         Stage stage = Stage::emit, std::vector<FlagOverride> overrides = {},
                                         PipelineOptions options = {}) {
  auto c = std::make_unique<Compiled>();
  MemoryReader reader = reader_of(files);
  auto p = load_project(reader, ProjectOptions{}, c->load_diags);
  if (!p) throw std::runtime_error(p.error().message);
  c->project = std::move(*p);
  Pipeline pipeline(c->project, options);
  c->result = pipeline.run(env, overrides, stage);
  return c;
}

inline std::map<std::string, std::string> project_with(const std::string& prod_overlay,
                                                       const std::string& base = minimal_base) {
  return {{"gwctl.yaml", "environments: [dev, prod]\n"},
          {"base/gateway.yaml", base},
          {"envs/dev.yaml", "gateway: {listen: '127.0.0.1:8080'}\n"},
          {"envs/prod.yaml", prod_overlay}};
}

// A lint run over in-memory files, and what the tests ask of it.
struct Linted {
  std::unique_ptr<Project> project;  // the findings point into its sources
  Diagnostics load_diags;            // of loading the project (rule files: GW117)
  LintResult result;

  // The findings of one rule.
  std::vector<Finding> of(const std::string& rule) const { return of_rule(result, rule); }
  // The diagnostics of loading the project, of one rule.
  std::vector<Diagnostic> loaded(const std::string& rule) const {
    std::vector<Diagnostic> out;
    for (const auto& d : load_diags.all()) {
      if (d.rule == rule) out.push_back(d);
    }
    return out;
  }
  // "envs/prod.yaml:3:17"
  std::string at(const Span& s) const {
    if (!s.valid()) return "(nowhere)";
    return fmt::format("{}:{}:{}", project->sources.file(s.file).path, s.line, s.column);
  }
  std::string at(const Finding& f) const { return at(f.diag.span); }
  // Every load diagnostic and finding, one a line, for failure messages.
  std::string dump() const {
    std::string out;
    for (const auto& d : load_diags.all()) out += fmt::format("load {} [{}] {}\n", at(d.span), d.rule, d.message);
    for (const auto& f : result.findings) {
      out += fmt::format("{} {}[{}] {}\n", at(f), to_string(f.diag.severity), f.diag.rule, f.diag.message);
    }
    return out;
  }
};

// Lints in-memory files. Suppressions are judged against a fixed date unless `options` says
// otherwise.
inline Linted lint_project(const std::map<std::string, std::string>& files, LintOptions options = {},
                           const ProjectOptions& project_options = {}) {
  Linted l;
  MemoryReader reader = reader_of(files);
  auto p = load_project(reader, project_options, l.load_diags);
  if (!p) throw std::runtime_error(p.error().message);
  l.project = std::make_unique<Project>(std::move(*p));
  if (options.today.empty()) options.today = "2026-11-22";
  l.result = lint(*l.project, l.load_diags, options);
  return l;
}

// The same, for tests that want only the result; `keep` owns the project the findings point
// into.
inline LintResult lint_files(const std::map<std::string, std::string>& files, std::unique_ptr<Project>& keep,
                             LintOptions options = {}) {
  Linted l = lint_project(files, std::move(options));
  keep = std::move(l.project);
  return std::move(l.result);
}

// "LINE:COLUMN" of the `nth` occurrence of `needle` in `text` (1-based), for locations.
inline std::string pos(const std::string& text, const std::string& needle, int nth = 1) {
  std::size_t at = std::string::npos;
  for (int i = 0; i < nth; ++i) {
    at = text.find(needle, at == std::string::npos ? 0 : at + 1);
    if (at == std::string::npos) return "(not in text)";
  }
  auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
  std::size_t line_start = text.rfind('\n', at);
  std::size_t column = line_start == std::string::npos ? at + 1 : at - line_start;
  return fmt::format("{}:{}", line, column);
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace gwctl::test
