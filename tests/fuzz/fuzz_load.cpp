#include <cstdint>
#include <string>
#include "gwctl/interpolate.hpp"
#include "gwctl/load.hpp"
#include "gwctl/merge.hpp"
#include "gwctl/normalize.hpp"
#include "gwctl/schema.hpp"
#include "gwctl/show.hpp"
#include "gwctl/validate.hpp"
using namespace gwctl;
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  SourceSet s;
  Diagnostics d;
  auto id = s.add("base/a.yaml", "base", std::string(reinterpret_cast<const char*>(data), size));
  LoadLimits lim;
  lim.max_nodes = 100000;
  auto t = load_yaml(s, id, lim, d);
  NodePtr m = merge_trees(nullptr, t.root, d);
  m = merge_trees(m, t.root, d);
  if (!m) return 0;
  m = interpolate(m, d);
  Diagnostics v;
  validate(m, Schema::config(), v);
  if (!v.has_errors() && !d.has_errors()) {
    auto g = normalize(*m, Schema::config());
  }
  show_yaml(*m, s, true);
  return 0;
}
