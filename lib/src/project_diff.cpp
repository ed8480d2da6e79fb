#include "gwctl/project_diff.hpp"

#include <algorithm>
#include <thread>
#include <tuple>

#include "gwctl/pipeline.hpp"

namespace gwctl {

namespace {

using json = nlohmann::json;

bool has_env(const Project& p, const std::string& env) {
  const auto& envs = p.settings.environments;
  return std::find(envs.begin(), envs.end(), env) != envs.end() && p.envs.count(env);
}

// Diagnostics deduplicated across environments: a base file's error is reported once.
class Collector {
 public:
  explicit Collector(Diagnostics& sink) : sink_(sink) {}
  void add(const Diagnostic& d) {
    auto key = std::make_tuple(d.rule, d.span.file, d.span.line, d.span.column, d.message);
    if (seen_.insert(key).second) sink_.report(d);
  }

 private:
  Diagnostics& sink_;
  std::set<std::tuple<std::string, std::uint32_t, std::uint32_t, std::uint32_t, std::string>> seen_;
};

struct SideRun {
  json config;  // null when the environment is absent
  bool failed = false;
  bool unreadable = false;
  Diagnostics diags;
};

SideRun run_side(const Project& project, const Pipeline& pipeline, const Diagnostics& load_diags,
                 const Variant& variant, bool merged_only) {
  SideRun out;
  out.diags = load_diagnostics_for(project, load_diags, variant);
  PipelineResult r = pipeline.run(variant, merged_only ? Stage::merge : Stage::emit);
  out.diags.append(r.diags);
  for (const auto& d : out.diags.all()) {
    if (d.severity == Severity::error && d.rule == "GW113") out.unreadable = true;
  }
  if (merged_only) {
    out.config = r.merged.root ? to_json(*r.merged.root) : json::object();
    out.config.erase("vars");
    out.config.erase("flags");
    return out;
  }
  if (out.diags.has_errors() || r.artifact.is_null()) {
    out.failed = true;
    return out;
  }
  out.config = std::move(r.artifact["config"]);
  return out;
}

}  // namespace

ProjectDiff diff_projects(const Project& base, const Diagnostics& base_load, const Project& head,
                          const Diagnostics& head_load, const ProjectDiffOptions& options) {
  ProjectDiff result;
  std::vector<std::string> envs = options.envs;
  if (envs.empty()) {
    envs = head.settings.environments;
    for (const auto& e : base.settings.environments) {
      if (std::find(envs.begin(), envs.end(), e) == envs.end()) envs.push_back(e);
    }
  }
  // Policy findings are lint's business; the diff compares models, risky or not.
  Pipeline base_pipeline(base, PipelineOptions{.policy = false});
  Pipeline head_pipeline(head, PipelineOptions{.policy = false});
  Collector base_sink(result.base_diags), head_sink(result.head_diags);
  for (const auto& env : envs) {
    EnvironmentDiff ed;
    ed.env = env;
    bool in_base = has_env(base, env), in_head = has_env(head, env);
    if (!in_base && !in_head) continue;
    ed.status = !in_base ? "added" : !in_head ? "removed" : "unchanged";
    Variant vb = in_base ? base_pipeline.resolve(env, {}, nullptr) : Variant{env, {}};
    Variant vh = in_head ? head_pipeline.resolve(env, {}, nullptr) : Variant{env, {}};
    SourceInfo sb = in_base ? base_pipeline.source_info(vb) : SourceInfo{};
    SourceInfo sh = in_head ? head_pipeline.source_info(vh) : SourceInfo{};
    ed.files = changed_files(sb.files, sh.files);
    if (in_base && in_head && vb.flags == vh.flags && ed.files.empty()) {
      result.report.envs.push_back(std::move(ed));
      continue;  // the same bytes in: the same model out
    }
    SideRun rb, rh;
    {
      // The two sides are independent (each pipeline has its own caches): compile them at once.
      std::thread base_thread;
      if (in_base) {
        base_thread = std::thread([&] { rb = run_side(base, base_pipeline, base_load, vb, options.merged_only); });
      }
      if (in_head) rh = run_side(head, head_pipeline, head_load, vh, options.merged_only);
      if (base_thread.joinable()) base_thread.join();
    }
    for (const auto& d : rb.diags.all()) {
      if (d.severity == Severity::error) base_sink.add(d);
    }
    for (const auto& d : rh.diags.all()) {
      if (d.severity == Severity::error) head_sink.add(d);
    }
    result.unreadable = result.unreadable || rb.unreadable || rh.unreadable;
    result.base_failed = result.base_failed || rb.failed;
    result.head_failed = result.head_failed || rh.failed;
    if (rb.failed || rh.failed) {
      ed.status = "failed";
      result.report.envs.push_back(std::move(ed));
      continue;
    }
    ed.changes = diff_models(rb.config, rh.config);
    result.report.envs.push_back(std::move(ed));
  }
  summarize(result.report);
  return result;
}

std::set<std::pair<std::string, std::string>> changed_entities(const DiffReport& report) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& env : report.envs) {
    for (const auto& c : env.changes) out.insert({c.kind, c.name});
  }
  return out;
}

}  // namespace gwctl
