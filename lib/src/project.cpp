#include "gwctl/project.hpp"

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "gwctl/merge.hpp"
#include "gwctl/schema.hpp"
#include "gwctl/validate.hpp"

namespace gwctl {

namespace {

bool is_yaml(const std::string& name) {
  return (name.ends_with(".yaml") || name.ends_with(".yml")) && !name.starts_with(".");
}

std::string stem(const std::string& name) {
  return name.substr(0, name.rfind('.'));
}

std::vector<std::string> strings_of(const Node* seq) {
  std::vector<std::string> out;
  if (seq && seq->is_seq()) {
    for (const auto& item : seq->items) {
      if (item->is_scalar()) out.push_back(item->scalar_text());
    }
  }
  return out;
}

// The files of one overlay: NAME.yaml, or every YAML file in NAME/.
struct OverlayFiles {
  std::vector<std::string> paths;
};

class ProjectLoader {
 public:
  ProjectLoader(const FileReader& reader, const ProjectOptions& options, Diagnostics& diags)
      : reader_(reader), options_(options), diags_(diags) {}

  Expected<Project> run() {
    auto root = reader_.list("");
    if (!root) return IoError{root.error().kind, fmt::format("cannot read the config root: {}", root.error().message)};
    Project p;
    NodePtr settings_tree = read_settings(p);
    load_layer(p, p.settings.base_dir, "base", p.base, true);
    discover_envs(p, settings_tree.get());
    discover_flags(p, settings_tree.get());
    parse_all(p);
    load_rules(p, settings_tree.get());
    return p;
  }

 private:
  NodePtr read_settings(Project& p) {
    auto listing = reader_.list("");
    if (!listing) return nullptr;
    bool present =
        std::any_of(listing->begin(), listing->end(), [](const DirEntry& e) { return e.name == "gwctl.yaml"; });
    if (!present) return nullptr;
    ConfigTree t = load_file(reader_, "gwctl.yaml", "project", p.sources, options_.limits, diags_);
    settings_file_ = t.file;
    p.settings.has_file = true;
    if (!t.root) return nullptr;
    NodePtr root = merge_trees(nullptr, t.root, diags_);
    if (!root || !root->is_map()) return nullptr;
    validate(root, Schema::project(), diags_);
    auto& s = p.settings;
    s.environments = strings_of(root->get("environments"));
    s.flag_order = strings_of(root->get("flags"));
    if (const Node* layout = root->get("layout"); layout && layout->is_map()) {
      auto dir = [&](const char* key, std::string& out) {
        const Node* v = layout->get(key);
        if (!v || !v->is_string()) return;
        if (v->text.empty() || v->text.starts_with("/") || v->text.find("..") != std::string::npos) {
          diags_.error("GW113", fmt::format("layout '{}' must be a folder inside the config root", key), v->span,
                       fmt::format("/layout/{}", key));
          return;
        }
        out = v->text;
        while (out.size() > 1 && out.back() == '/') out.pop_back();
      };
      dir("base", s.base_dir);
      dir("envs", s.envs_dir);
      dir("flags", s.flags_dir);
      dir("tests", s.tests_dir);
    }
    if (const Node* parity = root->get("parity"); parity && parity->is_map() && parity->get("may_differ")) {
      s.parity_may_differ = strings_of(parity->get("may_differ"));
    } else {
      s.parity_may_differ = {"/gateway/listen",       "/gateway/replicas", "/gateway/rate_limit_store",
                             "/providers/*/base_url", "/routes/*/limits",  "/consumers"};
    }
    if (const Node* rules = root->get("rules"); rules && rules->is_map()) {
      if (const Node* paths = rules->get("paths"); paths && paths->is_seq()) {
        s.rule_paths = strings_of(paths);
        s.rule_paths_explicit = true;
      }
      auto overrides = [](const Node* map, std::map<std::string, std::string>& out) {
        if (!map || !map->is_map()) return;
        for (const auto& e : map->entries) {
          if (e.value->is_scalar()) out[e.key] = e.value->scalar_text();
        }
      };
      overrides(rules->get("severity"), s.severity.all);
      if (const Node* by_env = rules->get("env_severity"); by_env && by_env->is_map()) {
        for (const auto& e : by_env->entries) overrides(e.value.get(), s.severity.by_env[e.key]);
      }
    }
    return root;
  }

  Span settings_span(const Node* settings, const char* key, std::size_t index = SIZE_MAX) const {
    if (!settings) return Span{settings_file_, 1, 1, 0};
    const Node* v = settings->get(key);
    if (!v) return Span{settings_file_, 1, 1, 0};
    if (index != SIZE_MAX && v->is_seq() && index < v->items.size()) return v->items[index]->span;
    return v->span;
  }

  // Lists `dir` into overlays: NAME.yaml files and NAME/ folders.
  std::map<std::string, OverlayFiles> overlays(const std::string& dir) {
    std::map<std::string, OverlayFiles> out;
    auto entries = reader_.list(dir);
    if (!entries) {
      if (entries.error().kind != IoError::Kind::not_found) {
        diags_.error("GW113", fmt::format("cannot read '{}/': {}", dir, entries.error().message), Span{});
      }
      return out;
    }
    std::map<std::string, std::string> source_of;  // overlay name → the file or folder that defines it
    auto claim = [&](const std::string& name, const std::string& what) {
      auto [it, fresh] = source_of.emplace(name, what);
      if (!fresh) {
        diags_
            .error(
                "GW114",
                fmt::format("overlay '{}' is defined twice, by '{}/{}' and '{}/{}'", name, dir, it->second, dir, what),
                Span{})
            .hint = "keep one: NAME.yaml or the folder NAME/";
      }
    };
    for (const auto& e : *entries) {
      if (e.is_dir || is_yaml(e.name)) claim(e.is_dir ? e.name : stem(e.name), e.is_dir ? e.name + "/" : e.name);
      if (e.is_dir) {
        auto inner = reader_.list(dir + "/" + e.name);
        if (!inner) {
          diags_.error("GW113", fmt::format("cannot read '{}/{}/': {}", dir, e.name, inner.error().message), Span{});
          continue;
        }
        for (const auto& f : *inner) {
          if (!f.is_dir && is_yaml(f.name)) out[e.name].paths.push_back(dir + "/" + e.name + "/" + f.name);
        }
      } else if (is_yaml(e.name)) {
        out[stem(e.name)].paths.push_back(dir + "/" + e.name);
      }
    }
    return out;
  }

  // Reads the files now, in order; parse_all() parses them later, in parallel.
  void load_paths(Project& p, const std::vector<std::string>& paths, const std::string& layer_name, Layer& layer) {
    layer.name = layer_name;
    for (const auto& path : paths) {
      Job job;
      job.layer = &layer;
      bool readable = false;
      job.file = read_source(reader_, path, layer_name, p.sources, options_.limits, job.diags, readable);
      job.unreadable = !readable;
      jobs_.push_back(std::move(job));
    }
  }

  // yaml-cpp parses one file per thread; diagnostics are collected per file and appended in
  // file order, so the output does not depend on scheduling.
  void parse_all(Project& p) {
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
      for (std::size_t i = next++; i < jobs_.size(); i = next++) {
        Job& job = jobs_[i];
        if (job.unreadable) {
          job.tree.file = job.file;
          job.tree.failed = true;
          continue;
        }
        try {
          job.tree = load_yaml(p.sources, job.file, options_.limits, job.diags);
        } catch (const std::exception& e) {  // e.g. bad_alloc: never let it end the process
          job.diags.error("GW105", fmt::format("could not load the file: {}", e.what()), Span{job.file, 1, 1, 0});
          job.tree.file = job.file;
          job.tree.failed = true;
        }
      }
    };
    std::size_t threads =
        std::min<std::size_t>(jobs_.size(), std::max(1u, std::min(4u, std::thread::hardware_concurrency())));
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    for (auto& job : jobs_) {
      diags_.append(job.diags);
      job.layer->trees.push_back(std::move(job.tree));
    }
    jobs_.clear();
  }

  void load_layer(Project& p, const std::string& dir, const std::string& name, Layer& layer, bool required) {
    auto entries = reader_.list(dir);
    if (!entries) {
      if (required) {
        auto& d = diags_.error(
            "GW114", fmt::format("the base layer '{}/' is missing or unreadable: {}", dir, entries.error().message),
            Span{});
        d.hint = "run 'gwctl init' for a starter repository, or use -C to point at the config root";
      }
      layer.name = name;
      return;
    }
    std::vector<std::string> paths;
    for (const auto& e : *entries) {
      if (!e.is_dir && is_yaml(e.name)) paths.push_back(dir + "/" + e.name);
    }
    if (paths.empty() && required) {
      diags_.error("GW114", fmt::format("the base layer '{}/' holds no YAML files", dir), Span{});
    }
    load_paths(p, paths, name, layer);
  }

  void discover_envs(Project& p, const Node* settings) {
    auto found = overlays(p.settings.envs_dir);
    std::vector<std::string> found_names;
    for (const auto& [name, files] : found) found_names.push_back(name);
    if (p.settings.environments.empty()) {
      p.settings.environments = found_names;
      if (found_names.empty()) {
        diags_.error("GW114", fmt::format("no environments: '{}/' holds no overlays", p.settings.envs_dir), Span{})
            .hint = "add envs/<env>.yaml, or list 'environments:' in gwctl.yaml";
      }
    }
    for (std::size_t i = 0; i < p.settings.environments.size(); ++i) {
      const std::string& env = p.settings.environments[i];
      auto it = found.find(env);
      if (it == found.end()) {
        auto& d = diags_.error(
            "GW114", fmt::format("environment '{}' has no overlay '{}/{}.yaml'", env, p.settings.envs_dir, env),
            settings_span(settings, "environments", i), fmt::format("/environments/{}", i));
        std::string guess = did_you_mean(env, found_names);
        if (!guess.empty()) d.hint = fmt::format("did you mean '{}'?", guess);
        continue;
      }
      load_paths(p, it->second.paths, "env:" + env, p.envs[env]);
    }
    for (const auto& name : found_names) {
      if (std::find(p.settings.environments.begin(), p.settings.environments.end(), name) ==
          p.settings.environments.end()) {
        diags_
            .warning("GW114",
                     fmt::format("overlay '{}' is not an environment listed in gwctl.yaml; it is ignored",
                                 found.at(name).paths.front()),
                     settings_span(settings, "environments"), "/environments")
            .hint = fmt::format("add '{}' to 'environments' in gwctl.yaml, or remove the file", name);
      }
    }
  }

  void discover_flags(Project& p, const Node* settings) {
    auto found = overlays(p.settings.flags_dir);
    std::vector<std::string> found_names;
    for (const auto& [name, files] : found) found_names.push_back(name);
    std::set<std::string> placed;
    for (std::size_t i = 0; i < p.settings.flag_order.size(); ++i) {
      const std::string& flag = p.settings.flag_order[i];
      if (!found.count(flag)) {
        auto& d = diags_.error("GW114",
                               fmt::format("flag '{}' has no overlay '{}/{}.yaml'", flag, p.settings.flags_dir, flag),
                               settings_span(settings, "flags", i), fmt::format("/flags/{}", i));
        std::string guess = did_you_mean(flag, found_names);
        if (!guess.empty()) d.hint = fmt::format("did you mean '{}'?", guess);
        continue;
      }
      if (placed.insert(flag).second) p.flag_names.push_back(flag);
    }
    for (const auto& name : found_names) {
      if (placed.insert(name).second) p.flag_names.push_back(name);
    }
    for (const auto& name : p.flag_names) load_paths(p, found.at(name).paths, "flag:" + name, p.flags[name]);
  }

  // The team's declarative rules: every *.yaml in rules.paths (default rules/, optional) and in
  // `--rules` folders (required). Then the severity overrides, which may name them.
  void load_rules(Project& p, const Node* settings) {
    std::map<std::string, std::uint32_t> defined;  // id → file
    std::set<std::string> seen;
    for (const auto& dir : p.settings.rule_paths) {
      std::string clean = dir;
      while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
      if (!seen.insert(clean).second) continue;
      load_rule_dir(p, reader_, clean, clean, p.settings.rule_paths_explicit, settings, defined);
    }
    for (const auto& extra : options_.extra_rule_dirs) {
      load_rule_dir(p, *extra.reader, "", extra.label, true, settings, defined);
    }
    std::sort(p.custom_rules.begin(), p.custom_rules.end(),
              [](const auto& a, const auto& b) { return a->doc.id < b->doc.id; });
    check_overrides(p, settings);
  }

  void load_rule_dir(Project& p, const FileReader& reader, const std::string& dir, const std::string& label,
                     bool required, const Node* settings, std::map<std::string, std::uint32_t>& defined) {
    auto entries = reader.list(dir);
    if (!entries) {
      if (required || entries.error().kind != IoError::Kind::not_found) {
        diags_.error("GW117", fmt::format("cannot read the rule folder '{}/': {}", label, entries.error().message),
                     settings_span(settings, "rules"));
      }
      return;
    }
    for (const auto& e : *entries) {
      if (e.is_dir || !is_yaml(e.name)) continue;
      bool readable = false;
      std::string path = dir.empty() ? e.name : dir + "/" + e.name;
      std::uint32_t file = read_source(reader, path, "rules", p.sources, options_.limits, diags_, readable);
      if (!readable) continue;
      if (label != dir) p.sources.rename(file, label + "/" + e.name);
      auto rule = parse_rule_file(p.sources, file, true, diags_);
      if (!rule) continue;
      auto [it, fresh] = defined.emplace(rule->doc.id, file);
      if (!fresh) {
        diags_.error("GW117",
                     fmt::format("rule {} is defined twice, in '{}' and '{}'", rule->doc.id,
                                 p.sources.file(it->second).path, p.sources.file(file).path),
                     Span{file, 1, 1, 0});
        continue;
      }
      p.custom_rules.push_back(std::move(rule));
    }
  }

  void check_overrides(Project& p, const Node* settings) {
    const Node* rules = settings ? settings->get("rules") : nullptr;
    std::vector<std::string> ids;
    for (const auto& d : rule_docs()) ids.push_back(d.id);
    for (const auto& r : p.custom_rules) ids.push_back(r->doc.id);
    auto check = [&](const Node* map, const std::string& pointer, std::map<std::string, std::string>& out) {
      if (!map || !map->is_map()) return;
      for (const auto& e : map->entries) {
        std::string at = pointer_append(pointer, e.key);
        if (e.key.starts_with("GW1") && find_rule_doc(e.key)) {
          diags_.error("GW114", fmt::format("structure rule {} cannot be overridden", e.key), e.key_span, at).hint =
              "structure rules keep the config compilable; fix the finding instead";
          out.erase(e.key);
        } else if (std::find(ids.begin(), ids.end(), e.key) == ids.end()) {
          auto& d =
              diags_.warning("GW114", fmt::format("severity override for unknown rule '{}'", e.key), e.key_span, at);
          std::string guess = did_you_mean(e.key, ids);
          d.hint = guess.empty() ? "see 'gwctl explain' for the rule ids" : fmt::format("did you mean '{}'?", guess);
          out.erase(e.key);
        }
      }
    };
    if (!rules || !rules->is_map()) return;
    check(rules->get("severity"), "/rules/severity", p.settings.severity.all);
    if (const Node* by_env = rules->get("env_severity"); by_env && by_env->is_map()) {
      for (const auto& e : by_env->entries) {
        if (std::find(p.settings.environments.begin(), p.settings.environments.end(), e.key) ==
            p.settings.environments.end()) {
          auto& d = diags_.warning("GW114", fmt::format("severity overrides for unknown environment '{}'", e.key),
                                   e.key_span, pointer_append("/rules/env_severity", e.key));
          std::string guess = did_you_mean(e.key, p.settings.environments);
          if (!guess.empty()) d.hint = fmt::format("did you mean '{}'?", guess);
        }
        check(e.value.get(), pointer_append("/rules/env_severity", e.key), p.settings.severity.by_env[e.key]);
      }
    }
  }

  struct Job {
    std::uint32_t file = Span::no_file;
    Layer* layer = nullptr;
    bool unreadable = false;
    ConfigTree tree;
    Diagnostics diags;
  };

  const FileReader& reader_;
  const ProjectOptions& options_;
  Diagnostics& diags_;
  std::uint32_t settings_file_ = Span::no_file;
  std::vector<Job> jobs_;
};

}  // namespace

Expected<Project> load_project(const FileReader& reader, const ProjectOptions& options, Diagnostics& diags) {
  ProjectLoader loader(reader, options, diags);
  return loader.run();
}

std::string layer_of_path(const ProjectSettings& settings, std::string_view path) {
  if (path == "gwctl.yaml") return "project";
  std::string p(path);
  auto under = [&](const std::string& dir) -> std::optional<std::string> {
    if (!p.starts_with(dir + "/")) return std::nullopt;
    return p.substr(dir.size() + 1);
  };
  auto name = [](const std::string& rest) {
    return rest.substr(rest.rfind('/') == std::string::npos ? 0 : rest.rfind('/') + 1);
  };
  if (auto rest = under(settings.base_dir)) {
    return rest->find('/') == std::string::npos && is_yaml(*rest) ? "base" : "";
  }
  // An overlay is NAME.yaml or a YAML file directly inside NAME/.
  auto overlay = [&](const std::string& rest) -> std::string {
    auto slash = rest.find('/');
    if (slash == std::string::npos) return is_yaml(rest) ? stem(rest) : "";
    if (rest.find('/', slash + 1) != std::string::npos || !is_yaml(name(rest))) return "";
    return rest.substr(0, slash);
  };
  if (auto rest = under(settings.envs_dir)) {
    std::string env = overlay(*rest);
    return env.empty() ? "" : "env:" + env;
  }
  if (auto rest = under(settings.flags_dir)) {
    std::string flag = overlay(*rest);
    return flag.empty() ? "" : "flag:" + flag;
  }
  return "";
}

}  // namespace gwctl
