#include "gwctl/pipeline.hpp"

#include <algorithm>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "gwctl/interpolate.hpp"
#include "gwctl/merge.hpp"
#include "gwctl/policy.hpp"
#include "gwctl/schema.hpp"
#include "gwctl/secret_scan.hpp"
#include "gwctl/validate.hpp"

namespace gwctl {

bool variant_uses(const Variant& variant, std::string_view layer) {
  if (layer.empty() || layer == "base" || layer == "project" || layer == "rules") return true;
  if (layer.starts_with("env:")) return layer.substr(4) == variant.env;
  if (layer.starts_with("flag:")) {
    return std::find(variant.flags.begin(), variant.flags.end(), layer.substr(5)) != variant.flags.end();
  }
  return false;
}

Diagnostics load_diagnostics_for(const Project& project, const Diagnostics& load_diags, const Variant& variant) {
  Diagnostics out;
  for (const auto& d : load_diags.all()) {
    if (variant_uses(variant, d.span.valid() ? project.sources.file(d.span.file).layer : "")) out.report(d);
  }
  return out;
}

namespace {
NodePtr merge_layer(NodePtr acc, const Layer& layer, Diagnostics& diags) {
  for (const auto& tree : layer.trees) acc = merge_trees(acc, tree.root, diags);
  return acc;
}
}  // namespace

Pipeline::Pipeline(const Project& project, PipelineOptions options) : project_(project), options_(options) {
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
  // The environment's flags apply in project order; flags turned on only by the command line
  // come after them, in command-line order (DESIGN.md section 2).
  std::vector<std::string> extra;
  for (const auto& o : overrides) {
    if (!o.on) {
      on.erase(o.name);
      extra.erase(std::remove(extra.begin(), extra.end(), o.name), extra.end());
    } else if (!on.count(o.name) && std::find(extra.begin(), extra.end(), o.name) == extra.end()) {
      extra.push_back(o.name);
    }
  }
  Variant v{env, {}};
  for (const auto& name : project_.flag_names) {
    if (on.count(name)) v.flags.push_back(name);
  }
  for (const auto& name : extra) {
    if (project_.flags.count(name)) v.flags.push_back(name);
  }
  return v;
}

PipelineResult Pipeline::run(const std::string& env, const std::vector<FlagOverride>& overrides,
                             Stage stop_after) const {
  Diagnostics flag_diags;
  Variant variant = resolve(env, overrides, &flag_diags);
  PipelineResult r = run(variant, stop_after);
  flag_diags.append(r.diags);
  r.diags = std::move(flag_diags);
  return r;
}

PipelineResult Pipeline::run(const Variant& variant, Stage stop_after) const {
  PipelineResult r;
  r.variant = variant;
  const std::string& env = variant.env;
  NodePtr merged = merge_env(env, r.diags);
  r.merged.layers = {"base"};
  if (project_.envs.count(env)) r.merged.layers.push_back("env:" + env);
  for (const auto& flag : r.variant.flags) {
    r.merged.layers.push_back("flag:" + flag);
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
  r.merged.root = interpolate(merged, r.diags);
  if (stop_after == Stage::merge) return r;

  bool load_failed = false;
  for (const auto& t : project_.base.trees) load_failed = load_failed || t.failed;
  if (r.merged->kind == NodeKind::null) {
    // A file that failed to load was reported already; saying the config is empty adds nothing.
    if (!load_failed) r.diags.error("GW104", fmt::format("environment '{}' has no configuration", env), Span{});
  } else {
    // A value whose reference could not be resolved was reported by interpolation; its
    // unresolved text would only fail validation a second time.
    std::set<std::string> reported;
    for (const auto& d : r.diags.all()) {
      if ((d.rule == "GW110" || d.rule == "GW115") && !d.path.empty()) reported.insert(d.path);
    }
    Diagnostics checked;
    validate(r.merged.root, Schema::config(), checked, &cache_);
    for (auto& d : checked.all()) {
      if (!reported.count(d.path)) r.diags.report(std::move(d));
    }
  }
  if (r.diags.has_errors()) {
    apply_severity_overrides(project_.settings.severity, env, r.diags);
    return r;
  }

  // Policy rules read the effective model, so they run once the schema holds.
  GatewayModel model = normalize(*r.merged, Schema::config());
  PolicyContext policy;
  policy.env = env;
  policy.production = !project_.settings.environments.empty() && project_.settings.environments.back() == env;
  policy.config = r.merged.root.get();
  policy.model = &model.config;
  policy.base = base_.get();
  policy.custom_rules = &project_.custom_rules;
  policy.cache = &policy_cache_;
  policy.parallel = stop_after == Stage::emit;
  // The policy rules; when emitting, also the secret scan of the variant's files: a literal
  // credential in a value must not reach the artifact, whether or not the schema calls the
  // field secret-bearing (GW3xx). Lint scans every file, comments included, on its own.
  auto check = [&](Diagnostics& out) {
    if (!options_.policy) return;
    check_policy(policy, out);
    if (stop_after != Stage::emit) return;
    for (std::uint32_t f = 0; f < project_.sources.size(); ++f) {
      if (variant_uses(r.variant, project_.sources.file(f).layer)) {
        scan_file_for_secrets(project_.sources, f, out, SecretScanOptions{.skip_comments = true});
      }
    }
  };
  if (stop_after == Stage::validate) {
    check(r.diags);
    apply_severity_overrides(project_.settings.severity, env, r.diags);
    return r;
  }

  // The checks and the serialization of the config only read the model: they run side by side.
  Diagnostics found;
  std::string config_text;
  {
    std::jthread checker([&] { check(found); });
    config_text = artifact_config_text(model);
  }
  r.diags.append(found);
  apply_severity_overrides(project_.settings.severity, env, r.diags);
  if (r.diags.has_errors()) return r;
  r.artifact = make_artifact(std::move(model), env, r.variant.flags, source_info(r.variant), &r.artifact_text,
                             std::move(config_text));
  return r;
}

namespace {
// A checkout with CRLF line endings or a byte-order mark is the same config: hash the text
// with both normalized, so that the digest does not depend on the machine's Git settings.
std::string content_hash(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  if (text.find('\r') == std::string_view::npos) return sha256_hex(text);
  std::string lf;
  lf.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    lf += text[i];
  }
  return sha256_hex(lf);
}
}  // namespace

SourceInfo Pipeline::source_info(const Variant& variant) const {
  SourceInfo info;
  info.commit = project_.commit;
  info.dirty = project_.dirty;
  if (project_.uncommitted) {
    // Only the files this variant is compiled from count: an edited overlay of another
    // environment, or an artifact written into the config root, leaves it clean.
    info.dirty = std::any_of(project_.uncommitted->begin(), project_.uncommitted->end(), [&](const std::string& p) {
      std::string layer = layer_of_path(project_.settings, p);
      return !layer.empty() && variant_uses(variant, layer);
    });
  }
  auto add_layer = [&](const Layer& layer) {
    for (const auto& t : layer.trees) {
      const SourceFile& f = project_.sources.file(t.file);
      info.files.push_back({f.path, content_hash(f.text)});
    }
  };
  for (std::uint32_t i = 0; i < project_.sources.size(); ++i) {
    if (project_.sources.file(i).layer == "project") {
      info.files.push_back({project_.sources.file(i).path, content_hash(project_.sources.file(i).text)});
    }
  }
  add_layer(project_.base);
  if (auto it = project_.envs.find(variant.env); it != project_.envs.end()) add_layer(it->second);
  for (const auto& f : variant.flags) add_layer(project_.flags.at(f));
  std::sort(info.files.begin(), info.files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return info;
}

}  // namespace gwctl
