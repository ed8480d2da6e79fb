#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "gwctl/interpolate.hpp"
#include "gwctl/normalize.hpp"
#include "gwctl/schema.hpp"
#include "gwctl/show.hpp"
#include "gwctl/validate.hpp"
#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;

TEST_CASE("every regression input ends in its expected diagnostic, without a crash", "[regressions][hostile]") {
  namespace fs = std::filesystem;
  std::size_t replayed = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(GWCTL_SOURCE_DIR) / "tests/regressions")) {
    if (entry.path().extension() != ".yaml") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text{std::istreambuf_iterator<char>(in), {}};
    std::string expect = text.substr(text.find("expect: ") + 8, 5);
    INFO(entry.path().filename().string());
    auto l = load_text(text, "base/" + entry.path().filename().string());
    NodePtr merged = merge_trees(nullptr, l.tree.root, l.diags);
    merged = merge_trees(merged, l.tree.root, l.diags);
    if (merged) {
      merged = interpolate(merged, l.diags);
      validate(merged, Schema::config(), l.diags);
      show_yaml(*merged, l.sources, true);
    }
    bool found = false;
    for (const auto& d : l.diags.all()) found = found || d.rule == expect;
    CHECK(found);
    ++replayed;
  }
  CHECK(replayed >= 15);
}
