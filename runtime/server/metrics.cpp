#include "metrics.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <functional>
#include <unordered_map>

namespace gwd {

namespace {

// The shortest text that reads back as `v` ("0.0025", not "0.0025000000000000001").
std::string num(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void series(std::string& out, const char* name, const std::map<std::string, double, std::less<>>& values) {
  for (const auto& [labels, v] : values)
    out.append(name).append("{").append(labels).append("} ").append(num(v)).append("\n");
}

}  // namespace

void append_label(std::string& out, std::string_view value) {
  if (std::none_of(value.begin(), value.end(), [](char c) { return c == '\\' || c == '"' || c == '\n'; })) {
    out.append(value);
    return;
  }
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
}

std::string label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  append_label(out, value);
  return out;
}

namespace {

// The label set `name="value",…` in a per-thread buffer: a series that exists already is then
// found without allocating.
class Labels {
 public:
  Labels& add(std::string_view name, std::string_view value) {
    if (!text_.empty()) text_.push_back(',');
    text_.append(name).append("=\"");
    append_label(text_, value);
    text_.push_back('"');
    return *this;
  }
  std::string_view text() const { return text_; }
  std::size_t size() const { return text_.size(); }
  void truncate(std::size_t size) { text_.resize(size); }

  static Labels& start() {
    thread_local Labels labels;
    labels.text_.clear();
    return labels;
  }

 private:
  std::string text_;
};

template <class Map>
typename Map::mapped_type& at(Map& map, std::string_view key) {
  auto it = map.find(key);
  if (it == map.end()) it = map.emplace(std::string(key), typename Map::mapped_type{}).first;
  return it->second;
}

// The series a thread counted into lately. A label set is found by where its values' text lives
// (views of the config snapshot being served) and then checked against a copy of that text, so
// a hit builds no label string and walks no map; a reload that frees the text and puts other
// text at the same place is a miss. The series themselves are map nodes, which never move.
struct SeriesKey {
  std::uint64_t owner = 0;  // the Metrics
  int family = 0;
  std::array<const char*, 3> data{};
  std::array<std::size_t, 3> size{};
  std::uint64_t number = 0;  // a value that is not config text (a status code, a hash)
  bool operator==(const SeriesKey&) const = default;
};

struct SeriesKeyHash {
  std::size_t operator()(const SeriesKey& k) const {
    std::size_t h = k.owner * 31 + static_cast<std::size_t>(k.family);
    for (std::size_t i = 0; i < 3; ++i) {
      h = h * 1000003 ^ reinterpret_cast<std::uintptr_t>(k.data[i]);
      h = h * 1000003 ^ k.size[i];
    }
    return h * 1000003 ^ k.number;
  }
};

struct SeriesEntry {
  std::array<std::string, 3> text;
  std::array<void*, 3> series{};  // null until looked up under the lock
};

SeriesEntry& cached(std::uint64_t owner, int family, std::array<std::string_view, 3> values, std::uint64_t number = 0) {
  thread_local std::unordered_map<SeriesKey, SeriesEntry, SeriesKeyHash> cache;
  SeriesKey key{owner, family, {}, {}, number};
  for (std::size_t i = 0; i < 3; ++i) {
    key.data[i] = values[i].data();
    key.size[i] = values[i].size();
  }
  auto it = cache.find(key);
  if (it != cache.end()) {
    const auto& text = it->second.text;
    if (text[0] == values[0] && text[1] == values[1] && text[2] == values[2]) return it->second;
    cache.erase(it);
  }
  if (cache.size() >= 4096) cache.clear();  // old snapshots' entries go eventually
  SeriesEntry entry;
  for (std::size_t i = 0; i < 3; ++i) entry.text[i] = values[i];
  return cache.emplace(key, std::move(entry)).first->second;
}

std::atomic<std::uint64_t> next_metrics_id{1};

}  // namespace

Metrics::Metrics() : id_(next_metrics_id.fetch_add(1)) {}

void Metrics::request(std::string_view route, std::string_view model, std::string_view deployment, int status,
                      double seconds) {
  SeriesEntry& e = cached(id_, 0, {route, model, deployment}, static_cast<std::uint64_t>(status));
  std::lock_guard lock(mu_);
  if (e.series[0] == nullptr) {
    char code[16];
    auto [end, ec] = std::to_chars(code, code + sizeof code, status);
    Labels& labels = Labels::start().add("route", route);
    std::size_t route_only = labels.size();
    labels.add("model", model).add("deployment", deployment).add("status", std::string_view(code, end - code));
    e.series[0] = &at(requests_, labels.text());
    e.series[1] = &at(latency_, labels.text().substr(0, route_only));
  }
  *static_cast<double*>(e.series[0]) += 1;
  Histogram& h = *static_cast<Histogram*>(e.series[1]);
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (seconds <= bounds[i]) h.buckets[i] += 1;
  }
  h.count += 1;
  h.sum += seconds;
}

void Metrics::attempt(std::string_view deployment, std::string_view outcome) {
  SeriesEntry& e = cached(id_, 1, {deployment, outcome, {}});
  std::lock_guard lock(mu_);
  if (e.series[0] == nullptr) {
    e.series[0] = &at(attempts_, Labels::start().add("deployment", deployment).add("outcome", outcome).text());
  }
  *static_cast<double*>(e.series[0]) += 1;
}

void Metrics::tokens(std::string_view route, std::string_view model, std::int64_t input, std::int64_t output,
                     double usd) {
  SeriesEntry& e = cached(id_, 2, {route, model, {}});
  std::lock_guard lock(mu_);
  if (e.series[0] == nullptr) {
    Labels& labels = Labels::start().add("route", route).add("model", model);
    std::size_t base = labels.size();
    e.series[0] = &at(cost_, labels.text());
    e.series[1] = &at(tokens_, labels.add("kind", "input").text());
    labels.truncate(base);
    e.series[2] = &at(tokens_, labels.add("kind", "output").text());
  }
  *static_cast<double*>(e.series[0]) += usd;
  *static_cast<double*>(e.series[1]) += static_cast<double>(input);
  *static_cast<double*>(e.series[2]) += static_cast<double>(output);
}

void Metrics::limit_rejection(std::string_view route) {
  Labels& labels = Labels::start().add("route", route);
  std::lock_guard lock(mu_);
  at(rejections_, labels.text()) += 1;
}

void Metrics::ejection(std::string_view deployment) {
  Labels& labels = Labels::start().add("deployment", deployment);
  std::lock_guard lock(mu_);
  at(ejections_, labels.text()) += 1;
}

void Metrics::reload(bool ok) {
  std::lock_guard lock(mu_);
  at(reloads_, ok ? "result=\"ok\"" : "result=\"refused\"") += 1;
}

std::string Metrics::render(std::string_view config_digest, std::string_view environment,
                            const std::vector<std::string>& ejected, std::int64_t in_flight) const {
  std::string out;
  out.reserve(4096);
  std::lock_guard lock(mu_);
  family(out, "gwd_config_info", "gauge", "The artifact being served.");
  out.append("gwd_config_info{digest=\"")
      .append(label_value(config_digest))
      .append("\",environment=\"")
      .append(label_value(environment))
      .append("\"} 1\n");
  family(out, "gwd_requests_total", "counter", "Client requests by route, model, deployment and status.");
  series(out, "gwd_requests_total", requests_);
  family(out, "gwd_request_duration_seconds", "histogram", "Client request latency by route.");
  for (const auto& [labels, h] : latency_) {
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      out.append("gwd_request_duration_seconds_bucket{").append(labels).append(",le=\"").append(num(bounds[i]));
      out.append("\"} ").append(std::to_string(h.buckets[i])).append("\n");
    }
    out.append("gwd_request_duration_seconds_bucket{").append(labels).append(",le=\"+Inf\"} ");
    out.append(std::to_string(h.count)).append("\n");
    out.append("gwd_request_duration_seconds_sum{").append(labels).append("} ").append(num(h.sum)).append("\n");
    out.append("gwd_request_duration_seconds_count{").append(labels).append("} ").append(std::to_string(h.count));
    out.append("\n");
  }
  family(out, "gwd_upstream_attempts_total", "counter", "Upstream attempts by deployment and outcome.");
  series(out, "gwd_upstream_attempts_total", attempts_);
  family(out, "gwd_tokens_total", "counter", "Tokens reported by upstream usage, by route, model and kind.");
  series(out, "gwd_tokens_total", tokens_);
  family(out, "gwd_cost_usd_total", "counter", "Cost in US dollars at the models' pricing, by route and model.");
  series(out, "gwd_cost_usd_total", cost_);
  family(out, "gwd_limit_rejections_total", "counter", "Requests refused with 429 by a limit or budget, by route.");
  series(out, "gwd_limit_rejections_total", rejections_);
  family(out, "gwd_ejections_total", "counter", "Times a deployment was taken out of rotation.");
  series(out, "gwd_ejections_total", ejections_);
  family(out, "gwd_deployment_ejected", "gauge", "1 for each deployment out of rotation now.");
  for (const std::string& d : ejected)
    out.append("gwd_deployment_ejected{deployment=\"").append(label_value(d)).append("\"} 1\n");
  family(out, "gwd_reloads_total", "counter", "Config reloads by result.");
  series(out, "gwd_reloads_total", reloads_);
  family(out, "gwd_in_flight_requests", "gauge", "Client requests being served.");
  out.append("gwd_in_flight_requests ").append(std::to_string(in_flight)).append("\n");
  return out;
}

}  // namespace gwd
