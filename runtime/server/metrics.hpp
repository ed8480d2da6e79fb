// Metrics: the counters and histograms gwd exports on the admin listener's /metrics, in the
// Prometheus text format. Labels are fixed per family; values are counted under one mutex, and
// each thread remembers where the series it counted into lately are (see metrics.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace gwd {

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;
  // One finished client request.
  void request(std::string_view route, std::string_view model, std::string_view deployment, int status, double seconds);
  // One upstream attempt and how it ended ("200", "503", "timeout", "connect_error").
  void attempt(std::string_view deployment, std::string_view outcome);
  void tokens(std::string_view route, std::string_view model, std::int64_t input, std::int64_t output, double usd);
  void limit_rejection(std::string_view route);
  void ejection(std::string_view deployment);
  void reload(bool ok);

  // The whole exposition; `config_digest` and `environment` label gwd_config_info, `ejected`
  // lists the deployments out of rotation now, `in_flight` the requests being served.
  std::string render(std::string_view config_digest, std::string_view environment,
                     const std::vector<std::string>& ejected, std::int64_t in_flight) const;

 private:
  static constexpr std::array<double, 12> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,   0.1,   0.25,   0.5,   1,    2.5};
  struct Histogram {
    std::array<std::uint64_t, bounds.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  const std::uint64_t id_;  // tells apart the Metrics of a process in each thread's series cache
  mutable std::mutex mu_;
  std::map<std::string, double, std::less<>> requests_;    // label set → count
  std::map<std::string, Histogram, std::less<>> latency_;  // route label → histogram
  std::map<std::string, double, std::less<>> attempts_;
  std::map<std::string, double, std::less<>> tokens_;
  std::map<std::string, double, std::less<>> cost_;
  std::map<std::string, double, std::less<>> rejections_;
  std::map<std::string, double, std::less<>> ejections_;
  std::map<std::string, double, std::less<>> reloads_;
};

// `value` escaped for a Prometheus label (backslash, quote, newline).
std::string label_value(std::string_view value);
void append_label(std::string& out, std::string_view value);

}  // namespace gwd
