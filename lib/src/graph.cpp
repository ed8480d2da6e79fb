#include "gwctl/graph.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace gwctl {

using json = nlohmann::json;

std::string dot_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string weight_percent(long long basis_points) {
  std::string whole = std::to_string(basis_points / 100);
  long long frac = basis_points % 100;
  if (frac == 0) return whole + "%";
  std::string digits = fmt::format("{:02}", frac);
  if (digits.back() == '0') digits.pop_back();
  return whole + "." + digits + "%";
}

namespace {

const json& member(const json& object, const char* key) {
  static const json none;
  if (!object.is_object()) return none;
  auto it = object.find(key);
  return it == object.end() ? none : *it;
}

std::string text(const json& object, const char* key) {
  const json& v = member(object, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

std::string route_id(const std::string& name) {
  return dot_quote("route:" + name);
}
std::string model_id(const std::string& alias) {
  return dot_quote("model:" + alias);
}
std::string deployment_key(const std::string& provider, const std::string& id) {
  return provider + "/" + id;
}
std::string deployment_id(const std::string& key) {
  return dot_quote("deployment:" + key);
}
std::string provider_id(const std::string& name) {
  return dot_quote("provider:" + name);
}

// What a route matches, for its label: "POST /v1/chat/completions", "GET /admin/*", headers.
std::string match_text(const json& match) {
  std::vector<std::string> methods;
  for (const auto& m : member(match, "methods")) {
    if (m.is_string()) methods.push_back(m.get<std::string>());
  }
  std::string path = text(match, "path");
  if (path.empty() && !text(match, "path_prefix").empty()) path = text(match, "path_prefix") + "*";
  std::string out = methods.empty() ? path : fmt::format("{} {}", fmt::join(methods, ","), path);
  for (const auto& [name, value] : member(match, "headers").items()) {
    out += fmt::format("\n{}: {}", name, value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

}  // namespace

std::string render_dot(const json& config, const std::string& environment, const std::vector<std::string>& flags) {
  std::string out;
  std::string title = text(member(config, "gateway"), "name");
  title += title.empty() ? environment : " — " + environment;
  if (!flags.empty()) title += fmt::format("\nflags: {}", fmt::join(flags, ", "));
  out += "digraph gwctl {\n";
  out += fmt::format("  graph [rankdir=LR, label={}, labelloc=t, fontname=Helvetica, nodesep=0.3, ranksep=1.2];\n",
                     dot_quote(title));
  out += "  node [fontname=Helvetica, fontsize=11];\n";
  out += "  edge [fontname=Helvetica, fontsize=10];\n";

  const json& routes = member(config, "routes");
  const json& models = member(config, "models");
  const json& providers = member(config, "providers");

  // Routes, in match order (the first that matches wins, so the order is part of the picture).
  out += "\n  subgraph cluster_routes {\n    label=\"routes (first match wins)\";\n    style=dashed;\n";
  std::size_t n = 0;
  for (const auto& r : routes) {
    std::string name = text(r, "name");
    std::string auth = text(member(r, "auth"), "type");
    bool is_public = auth == "none";
    std::string label = fmt::format("route {} (#{})\n{}", name, ++n, match_text(member(r, "match")));
    if (const json& respond = member(r, "respond"); respond.is_object()) {
      label += fmt::format("\nresponds {}", member(respond, "status").dump());
    }
    label += is_public ? "\npublic" : fmt::format("\nauth: {}", auth);
    out += fmt::format("    {} [shape=box, label={}{}];\n", route_id(name), dot_quote(label),
                       is_public ? ", style=\"filled,bold\", color=red, fillcolor=\"#fde0e0\"" : "");
  }
  out += "  }\n";

  out += "\n  subgraph cluster_models {\n    label=\"models\";\n    style=dashed;\n";
  for (const auto& [alias, m] : models.items()) {
    out += fmt::format("    {} [shape=ellipse, label={}];\n", model_id(alias), dot_quote("model " + alias));
  }
  out += "  }\n";

  // Deployments are (provider, upstream id) pairs, shared by the models that use them.
  std::set<std::pair<std::string, std::string>> deployment_provider;
  for (const auto& [alias, m] : models.items()) {
    for (const auto& d : member(m, "deployments")) {
      std::string key = deployment_key(text(d, "provider"), text(d, "id"));
      deployment_provider.emplace(key, text(d, "provider"));
    }
  }
  out += "\n  subgraph cluster_deployments {\n    label=\"deployments\";\n    style=dashed;\n";
  for (const auto& [key, provider] : deployment_provider) {
    std::string id = key.substr(provider.size() + 1);
    out += fmt::format("    {} [shape=box, style=rounded, label={}];\n", deployment_id(key),
                       dot_quote(id + "\non " + provider));
  }
  out += "  }\n";

  out += "\n  subgraph cluster_providers {\n    label=\"providers\";\n    style=dashed;\n";
  for (const auto& [name, p] : providers.items()) {
    std::string label = fmt::format("provider {}\n{}", name, text(p, "kind"));
    out += fmt::format("    {} [shape=cylinder, label={}];\n", provider_id(name), dot_quote(label));
  }
  out += "  }\n";

  out += "\n  // route → model (the default model labelled)\n";
  for (const auto& r : routes) {
    std::string name = text(r, "name");
    std::string default_model = text(r, "default_model");
    for (const auto& m : member(r, "models")) {
      if (!m.is_string()) continue;
      std::string alias = m.get<std::string>();
      out += fmt::format("  {} -> {}{};\n", route_id(name), model_id(alias),
                         alias == default_model ? " [label=\"default\", penwidth=2]" : "");
    }
  }
  out += "\n  // model → deployment, with its share of the model's traffic\n";
  for (const auto& [alias, m] : models.items()) {
    for (const auto& d : member(m, "deployments")) {
      const json& w = member(d, "weight");
      long long bp = w.is_number_integer() ? w.get<long long>() : 0;
      out +=
          fmt::format("  {} -> {} [label={}];\n", model_id(alias),
                      deployment_id(deployment_key(text(d, "provider"), text(d, "id"))), dot_quote(weight_percent(bp)));
    }
  }
  out += "\n  // deployment → provider\n";
  for (const auto& [key, provider] : deployment_provider) {
    out += fmt::format("  {} -> {};\n", deployment_id(key), provider_id(provider));
  }
  out += "\n  // fallbacks, dashed, in the order they are tried\n";
  for (const auto& [alias, m] : models.items()) {
    std::size_t i = 0;
    for (const auto& f : member(m, "fallbacks")) {
      if (!f.is_string()) continue;
      out += fmt::format("  {} -> {} [style=dashed, color=gray40, label={}, constraint=false];\n", model_id(alias),
                         model_id(f.get<std::string>()), dot_quote(fmt::format("fallback {}", ++i)));
    }
  }
  out += "}\n";
  return out;
}

}  // namespace gwctl
