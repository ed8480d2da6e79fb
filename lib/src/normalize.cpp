#include "gwctl/normalize.hpp"

#include <algorithm>
#include <numeric>

#include "gwctl/interpolate.hpp"
#include "gwctl/units.hpp"

namespace gwctl {

namespace {

using json = nlohmann::json;

// Builds the normalized JSON of `node` at schema position `s` (null where the schema says
// nothing): units converted, secrets as references, defaults filled.
class Normalizer {
 public:
  json build(const Node& node, const SchemaNode* s) const {
    if (s && node.is_string()) {
      if (auto converted = convert(node.text, *s)) return *converted;
    }
    switch (node.kind) {
      case NodeKind::mapping: {
        json obj = json::object();
        for (const auto& e : node.entries) {
          const SchemaNode* child = nullptr;
          if (s) child = s->property(e.key) ? s->property(e.key) : s->additional;
          obj[e.key] = build(*e.value, child);
        }
        if (s) fill_defaults(obj, *s);
        return obj;
      }
      case NodeKind::sequence: {
        json arr = json::array();
        for (const auto& item : node.items) arr.push_back(build(*item, s ? s->items : nullptr));
        return arr;
      }
      case NodeKind::integer:
        // A "number" field is always emitted as one: 3 and 3.0 give the same bytes.
        if (s && s->raw && s->raw->value("type", nlohmann::json()) == "number")
          return static_cast<double>(node.integer);
        return node.integer;
      default:
        return to_json(node);
    }
  }

 private:
  static std::optional<json> convert(const std::string& text, const SchemaNode& s) {
    switch (s.kind) {
      case SchemaNode::Kind::duration:
        if (auto ms = parse_duration_ms(text)) return json(*ms);
        break;
      case SchemaNode::Kind::size:
        if (auto b = parse_size_bytes(text)) return json(*b);
        break;
      case SchemaNode::Kind::secret_ref: {
        std::string name;
        if (parse_secret_ref(text, &name)) return json{{"$secret", name}};
        break;
      }
      case SchemaNode::Kind::plain:
        break;
    }
    return std::nullopt;
  }

  // A schema default, normalized like a written value.
  json from_default(const json& def, const SchemaNode& s) const {
    if (def.is_string()) {
      if (auto converted = convert(def.get<std::string>(), s)) return *converted;
    }
    if (def.is_object()) {
      json obj = def;
      fill_defaults(obj, s);
      return obj;
    }
    return def;
  }

  void fill_defaults(json& obj, const SchemaNode& s) const {
    for (const auto& [name, prop] : s.properties) {
      if (prop->default_value && !obj.contains(name)) obj[name] = from_default(*prop->default_value, *prop);
    }
  }
};

void normalize_models(json& models) {
  if (!models.is_object()) return;
  for (auto& [alias, model] : models.items()) {
    (void)alias;
    if (!model.is_object()) continue;
    if (!model.contains("deployments") && model.contains("provider") && model.contains("id")) {
      model["deployments"] = json::array({json{{"provider", model["provider"]}, {"id", model["id"]}, {"weight", 100}}});
    }
    model.erase("provider");
    model.erase("id");
    auto& deps = model["deployments"];
    if (!deps.is_array()) continue;
    std::vector<std::int64_t> weights;
    bool all_missing = true;
    for (const auto& d : deps) {
      bool has = d.contains("weight") && d["weight"].is_number_integer();
      all_missing = all_missing && !has;
      weights.push_back(has ? d["weight"].get<std::int64_t>() : 0);
    }
    if (all_missing) std::fill(weights.begin(), weights.end(), 1);
    auto bp = normalize_weights(weights);
    for (std::size_t i = 0; i < deps.size(); ++i) deps[i]["weight"] = bp[i];
  }
}

}  // namespace

std::vector<std::int64_t> normalize_weights(const std::vector<std::int64_t>& weights) {
  constexpr std::int64_t total_bp = 10000;
  std::int64_t sum = std::accumulate(weights.begin(), weights.end(), std::int64_t{0});
  std::vector<std::int64_t> out(weights.size(), 0);
  if (sum <= 0) return out;
  std::vector<std::pair<std::int64_t, std::size_t>> remainders;
  std::int64_t given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    std::int64_t scaled = weights[i] * total_bp;
    out[i] = scaled / sum;
    given += out[i];
    remainders.push_back({scaled % sum, i});
  }
  // Largest remainder first; equal remainders go to the earlier deployment.
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < total_bp && k < remainders.size(); ++k, ++given) ++out[remainders[k].second];
  return out;
}

GatewayModel normalize(const Node& merged, const Schema& schema) {
  GatewayModel m;
  m.config = Normalizer().build(merged, &schema.root());
  m.config.erase("vars");
  m.config.erase("flags");
  if (m.config.contains("models")) normalize_models(m.config["models"]);
  return m;
}

}  // namespace gwctl
