// Shared helpers for the unit tests: trees from YAML text, projects from in-memory files.
#pragma once

#include <map>
#include <string>

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

// Lints in-memory files; `keep` owns the project the findings point into. Suppressions are
// judged against a fixed date unless `options` says otherwise.
inline LintResult lint_files(const std::map<std::string, std::string>& files, std::unique_ptr<Project>& keep,
                             LintOptions options = {}) {
  MemoryReader reader = reader_of(files);
  Diagnostics load_diags;
  auto p = load_project(reader, {}, load_diags);
  if (!p) throw std::runtime_error(p.error().message);
  keep = std::make_unique<Project>(std::move(*p));
  if (options.today.empty()) options.today = "2026-11-22";
  return lint(*keep, load_diags, options);
}

}  // namespace gwctl::test
