#include "gwctl/pipeline.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "gwctl/interpolate.hpp"
#include "gwctl/merge.hpp"
#include "gwctl/schema.hpp"
#include "gwctl/validate.hpp"

namespace gwctl {

namespace {
NodePtr merge_layer(NodePtr acc, const Layer& layer, Diagnostics& diags) {
  for (const auto& tree : layer.trees) acc = merge_trees(acc, tree.root, diags);
  return acc;
}
}  // namespace

Pipeline::Pipeline(const Project& project) : project_(project) {
  base_ = merge_layer(nullptr, project.base, base_diags_);
}

NodePtr Pipeline::merge_env(const std::string& env, Diagnostics& diags) const {
  diags.append(base_diags_);
  auto it = project_.envs.find(env);
  if (it == project_.envs.end()) return base_;
  return merge_layer(base_, it->second, diags);
}

Variant Pipeline::resolve(const std::string& env, const std::vector<FlagOverride>& overrides,
                          Diagnostics* diags) const {
  Diagnostics scratch;
  NodePtr merged = merge_env(env, scratch);
  std::set<std::string> on;
  if (const Node* flags = merged ? merged->get("flags") : nullptr; flags && flags->is_map()) {
    for (const auto& e : flags->entries) {
      if (!project_.flags.count(e.key)) {
        if (diags) {
          auto& d = diags->error("GW114", fmt::format("unknown flag '{}'", e.key), e.key_span,
                                 pointer_append("/flags", e.key));
          std::string guess = did_you_mean(e.key, project_.flag_names);
          d.hint = guess.empty() ? fmt::format("flags are overlays in '{}/'", project_.settings.flags_dir)
                                 : fmt::format("did you mean '{}'?", guess);
        }
        continue;
      }
      if (e.value->kind == NodeKind::boolean && e.value->boolean) on.insert(e.key);
    }
  }
  for (const auto& o : overrides) {
    if (o.on)
      on.insert(o.name);
    else
      on.erase(o.name);
  }
  Variant v{env, {}};
  for (const auto& name : project_.flag_names) {
    if (on.count(name)) v.flags.push_back(name);
  }
  return v;
}

PipelineResult Pipeline::run(const std::string& env, const std::vector<FlagOverride>& overrides,
                             Stage stop_after) const {
  PipelineResult r;
  r.variant = resolve(env, overrides, &r.diags);
  NodePtr merged = merge_env(env, r.diags);
  for (const auto& flag : r.variant.flags) {
    const Layer& layer = project_.flags.at(flag);
    for (const auto& tree : layer.trees) {
      if (tree.root && tree.root->is_map()) {
        if (const Entry* e = tree.root->entry("flags")) {
          r.diags.error("GW114", "a flag overlay cannot turn flags on or off", e->key_span, "/flags").hint =
              "set 'flags:' in an environment overlay (envs/) instead";
        }
      }
    }
    merged = merge_layer(merged, layer, r.diags);
  }
  if (!merged) merged = make_null();
  r.merged = interpolate(merged, r.diags);
  if (stop_after == Stage::merge) return r;

  bool load_failed = false;
  for (const auto& t : project_.base.trees) load_failed = load_failed || t.failed;
  if (r.merged->kind == NodeKind::null) {
    // A file that failed to load was reported already; saying the config is empty adds nothing.
    if (!load_failed) r.diags.error("GW104", fmt::format("environment '{}' has no configuration", env), Span{});
  } else {
    validate(r.merged, Schema::config(), r.diags, &cache_);
  }
  if (stop_after == Stage::validate || r.diags.has_errors()) return r;

  r.model = normalize(*r.merged, Schema::config());
  r.artifact = make_artifact(*r.model, env, r.variant.flags, source_info(r.variant));

  return r;
}

SourceInfo Pipeline::source_info(const Variant& variant) const {
  SourceInfo info;
  auto add_layer = [&](const Layer& layer) {
    for (const auto& t : layer.trees) {
      const SourceFile& f = project_.sources.file(t.file);
      info.files.push_back({f.path, sha256_hex(f.text)});
    }
  };
  for (std::uint32_t i = 0; i < project_.sources.size(); ++i) {
    if (project_.sources.file(i).layer == "project") {
      info.files.push_back({project_.sources.file(i).path, sha256_hex(project_.sources.file(i).text)});
    }
  }
  add_layer(project_.base);
  if (auto it = project_.envs.find(variant.env); it != project_.envs.end()) add_layer(it->second);
  for (const auto& f : variant.flags) add_layer(project_.flags.at(f));
  std::sort(info.files.begin(), info.files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return info;
}

}  // namespace gwctl
