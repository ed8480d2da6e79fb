#include "gwctl/normalize.hpp"

#include <algorithm>
#include <numeric>

#include "gwctl/interpolate.hpp"
#include "gwctl/units.hpp"

namespace gwctl {

namespace {

using json = nlohmann::json;

class Normalizer {
 public:
  explicit Normalizer(const Schema& schema) : schema_(schema) {}

  // Applies defaults and unit conversions to `value` according to `raw_schema`, in place.
  void apply(json& value, const json& raw_schema, int depth = 0) {
    if (depth > 64) return;
    std::string ref;
    const json& s = schema_.resolve(raw_schema, &ref);
    if (ref == "duration" && value.is_string()) {
      value = parse_duration_ms(value.get<std::string>()).value_or(0);
      return;
    }
    if (ref == "size" && value.is_string()) {
      value = parse_size_bytes(value.get<std::string>()).value_or(0);
      return;
    }
    if (ref == "secret_ref" && value.is_string()) {
      std::string name;
      if (parse_secret_ref(value.get<std::string>(), &name)) value = json{{"$secret", name}};
      return;
    }
    if (value.is_object() && s.is_object()) {
      const json* props = s.contains("properties") ? &s["properties"] : nullptr;
      if (props) {
        for (auto it = props->begin(); it != props->end(); ++it) {
          if (value.contains(it.key())) continue;
          if (const json* def = default_of(it.value())) value[it.key()] = *def;
        }
        for (auto it = value.begin(); it != value.end(); ++it) {
          if (props->contains(it.key())) apply(it.value(), (*props)[it.key()], depth + 1);
          else if (s.contains("additionalProperties") && s["additionalProperties"].is_object())
            apply(it.value(), s["additionalProperties"], depth + 1);
        }
      } else if (s.contains("additionalProperties") && s["additionalProperties"].is_object()) {
        for (auto& v : value) apply(v, s["additionalProperties"], depth + 1);
      }
    } else if (value.is_array() && s.is_object() && s.contains("items")) {
      for (auto& v : value) apply(v, s["items"], depth + 1);
    }
  }

 private:
  // The property's own default, else the default of the definition it refers to.
  const json* default_of(const json& prop) const {
    if (prop.is_object()) {
      if (auto it = prop.find("default"); it != prop.end()) return &*it;
    }
    const json& r = schema_.resolve(prop);
    if (r.is_object()) {
      if (auto it = r.find("default"); it != r.end()) return &*it;
    }
    return nullptr;
  }

  const Schema& schema_;
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
  for (std::size_t k = 0; given < total_bp && k < remainders.size(); ++k, ++given) {
    ++out[remainders[k].second];
  }
  return out;
}

GatewayModel normalize(const Node& merged, const Schema& schema) {
  GatewayModel m;
  m.config = to_json(merged);
  m.config.erase("vars");
  m.config.erase("flags");
  if (m.config.contains("models")) normalize_models(m.config["models"]);
  Normalizer n(schema);
  n.apply(m.config, schema.document());
  return m;
}

}  // namespace gwctl
