// gwctl-parse-floor: the benchmark's lower bound. Parses each file with yaml-cpp's
// YAML::LoadFile and discards the result, so bench/run.sh can compare gwctl's compile time
// with the bare cost of reading the same YAML (target: compile < 3x this floor).
//
// usage: gwctl-parse-floor FILE...   prints nothing; exit 0, or 2 with a message on error.

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: gwctl-parse-floor FILE...\n");
    return 2;
  }
  std::size_t nodes = 0;
  for (int i = 1; i < argc; ++i) {
    try {
      const YAML::Node doc = YAML::LoadFile(argv[i]);
      // Touch the result so the parse cannot be optimized away.
      nodes += doc.IsDefined() ? doc.size() : 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "gwctl-parse-floor: %s: %s\n", argv[i], e.what());
      return 2;
    }
  }
  return nodes == static_cast<std::size_t>(-1) ? 1 : 0;
}
