// Load: one source file's text → a ConfigTree with positions.
//
// Strict YAML: one document per file, no duplicate keys, only the core schema's tags. Hostile
// input is bounded: file size, nesting depth and alias expansion are capped, bytes must be UTF-8.
// Problems are GW101–GW107 diagnostics; the tree is null when the file could not be loaded.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gwctl/config_tree.hpp"
#include "gwctl/diagnostic.hpp"
#include "gwctl/source.hpp"

namespace gwctl {

struct LoadLimits {
  std::size_t max_file_bytes = 16u << 20;  // 16 MiB
  std::uint32_t max_depth = 64;
  std::uint64_t max_nodes = 1'000'000;  // after alias expansion; every 64 bytes of text count as one more
};

struct ConfigTree {
  std::uint32_t file = Span::no_file;
  NodePtr root;  // null for an empty file or one that failed to load
  bool failed = false;
};

// Parses text already registered as `file` in `sources`.
ConfigTree load_yaml(const SourceSet& sources, std::uint32_t file, const LoadLimits& limits, Diagnostics& diags);

// Reads `path` through `reader` and registers it in `sources` under `layer`. A file that cannot
// be read (too large: GW105; missing, not regular, outside the root: GW113) is registered empty
// and `readable` is false.
std::uint32_t read_source(const FileReader& reader, const std::string& path, const std::string& layer,
                          SourceSet& sources, const LoadLimits& limits, Diagnostics& diags, bool& readable);

// read_source, then load_yaml. An
// unreadable file is reported as a GW105/GW113 diagnostic at the file.
ConfigTree load_file(const FileReader& reader, const std::string& path, const std::string& layer, SourceSet& sources,
                     const LoadLimits& limits, Diagnostics& diags);

}  // namespace gwctl
