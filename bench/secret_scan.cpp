// gwctl-secret-scan: the bare cost of the GW3xx secret scan (scan_secrets over each file's
// bytes), without loading, merging or validating anything. For bench/secrets.sh.
//   gwctl-secret-scan [--runs N] FILE...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gwctl/secret_scan.hpp"

int main(int argc, char** argv) {
  int runs = 5;
  std::vector<std::string> texts;
  std::size_t bytes = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
      continue;
    }
    std::ifstream in(arg, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "gwctl-secret-scan: cannot read '%s'\n", arg.c_str());
      return 2;
    }
    std::ostringstream s;
    s << in.rdbuf();
    texts.push_back(s.str());
    bytes += texts.back().size();
  }
  std::vector<double> times;
  std::size_t hits = 0;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    hits = 0;
    for (const auto& t : texts) hits += gwctl::scan_secrets(t).size();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  double median = times[times.size() / 2];
  std::printf("%zu files, %zu bytes, %zu secrets, median %.1f ms over %d runs (%.0f MB/s)\n", texts.size(), bytes, hits,
              median, runs, median > 0 ? bytes / 1e3 / median : 0.0);
  return 0;
}
