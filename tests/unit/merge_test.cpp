#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;
using json = nlohmann::json;

TEST_CASE("mappings merge key by key and the later layer wins on scalars", "[merge]") {
  auto m = merge_texts(
      {{"base/a.yaml", "gateway: {name: a, replicas: 1}\n"}, {"envs/prod.yaml", "gateway: {replicas: 3}\n"}});
  REQUIRE_FALSE(m.diags.has_errors());
  CHECK(to_json(*m.root) == json::parse(R"({"gateway": {"name": "a", "replicas": 3}})"));
}

TEST_CASE("overlay scalar replaces base and keeps the overlay's position with a link to the old value", "[merge]") {
  auto m = merge_texts({{"base/a.yaml", "gateway:\n  replicas: 1\n"}, {"envs/prod.yaml", "gateway:\n  replicas: 3\n"}});
  const Node* r = m.root->get("gateway")->get("replicas");
  CHECK(m.sources.file(r->span.file).path == "envs/prod.yaml");
  CHECK(r->span.line == 2);
  REQUIRE(r->replaced);
  CHECK(m.sources.file(r->replaced->span.file).path == "base/a.yaml");
  CHECK(r->replaced->integer == 1);
}

TEST_CASE("named lists merge item by item and append new names in layer order", "[merge]") {
  auto m = merge_texts({{"base/a.yaml", "routes:\n  - {name: a, x: 1}\n  - {name: b, x: 2}\n"},
                        {"envs/prod.yaml", "routes:\n  - {name: c, x: 9}\n  - {name: a, x: 5}\n"}});
  CHECK(to_json(*m.root)["routes"] ==
        json::parse(R"([{"name": "a", "x": 5}, {"name": "b", "x": 2}, {"name": "c", "x": 9}])"));
}

TEST_CASE("other sequences are replaced whole", "[merge]") {
  auto m = merge_texts({{"base/a.yaml", "r: {methods: [GET, POST]}\n"}, {"envs/p.yaml", "r: {methods: [PUT]}\n"}});
  CHECK(to_json(*m.root)["r"]["methods"] == json::parse(R"(["PUT"])"));
  const Node* methods = m.root->get("r")->get("methods");
  REQUIRE(methods->replaced);
  CHECK(methods->replaced->items.size() == 2);
}

TEST_CASE("an empty list in a later layer clears a named list", "[merge]") {
  auto m = merge_texts({{"base/a.yaml", "routes: [{name: a}]\n"}, {"envs/p.yaml", "routes: []\n"}});
  CHECK(to_json(*m.root)["routes"] == json::array());
}

TEST_CASE("key: null deletes the key", "[merge]") {
  auto m = merge_texts(
      {{"base/a.yaml", "gateway: {name: a, admin: {listen: x}}\n"}, {"envs/p.yaml", "gateway: {admin: null}\n"}});
  CHECK(to_json(*m.root) == json::parse(R"({"gateway": {"name": "a"}})"));
}

TEST_CASE("$delete removes a named item", "[merge]") {
  auto m = merge_texts(
      {{"base/a.yaml", "routes: [{name: a}, {name: b}]\n"}, {"envs/p.yaml", "routes: [{name: a, $delete: true}]\n"}});
  REQUIRE_FALSE(m.diags.has_errors());
  CHECK(to_json(*m.root)["routes"] == json::parse(R"([{"name": "b"}])"));
}

TEST_CASE("$delete of a name no earlier layer defines is a warning", "[merge]") {
  auto m =
      merge_texts({{"base/a.yaml", "routes: [{name: a}]\n"}, {"envs/p.yaml", "routes: [{name: zz, $delete: true}]\n"}});
  REQUIRE(m.diags.size() == 1);
  CHECK(m.diags.all()[0].severity == Severity::warning);
  CHECK(m.diags.all()[0].rule == "GW109");
  CHECK(m.diags.all()[0].message == "'$delete' of 'zz', which no earlier layer defines");
  CHECK(to_json(*m.root)["routes"].size() == 1);
}

TEST_CASE("$delete outside a named list is an error that says how to delete a key", "[merge]") {
  auto m = merge_texts({{"base/a.yaml", "gateway: {name: a}\n"}, {"envs/p.yaml", "gateway: {$delete: true}\n"}});
  REQUIRE(m.diags.has_errors());
  CHECK(m.diags.all()[0].hint == "to delete a key, set it to null: 'key: null'");
}

TEST_CASE("$replace replaces a mapping instead of merging it", "[merge]") {
  auto m = merge_texts({{"base/a.yaml", "cors: {origins: [a], credentials: true}\n"},
                        {"envs/p.yaml", "cors: {$replace: true, origins: [b]}\n"}});
  REQUIRE_FALSE(m.diags.has_errors());
  CHECK(to_json(*m.root) == json::parse(R"({"cors": {"origins": ["b"]}})"));
  CHECK(m.root->get("cors")->replaced);
}

TEST_CASE("$replace works on a named list item", "[merge]") {
  auto m = merge_texts({{"base/a.yaml", "routes: [{name: a, x: 1, y: 2}]\n"},
                        {"envs/p.yaml", "routes: [{name: a, $replace: true, y: 3}]\n"}});
  CHECK(to_json(*m.root)["routes"] == json::parse(R"([{"name": "a", "y": 3}])"));
}

TEST_CASE("an unknown directive is an error with a suggestion", "[merge]") {
  auto m = merge_texts({{"base/a.yaml", "a: {b: 1}\n"}, {"envs/p.yaml", "a: {$replce: true}\n"}});
  REQUIRE(m.diags.has_errors());
  CHECK(m.diags.all()[0].message == "unknown merge directive '$replce'");
  CHECK(m.diags.all()[0].hint == "did you mean '$replace'?");
}

TEST_CASE("a type clash names both positions", "[merge]") {
  auto m =
      merge_texts({{"base/a.yaml", "gateway:\n  limits: 5\n"}, {"envs/prod.yaml", "gateway:\n  limits:\n    x: 1\n"}});
  REQUIRE(m.diags.size() == 1);
  CHECK(rendered(m.diags, m.sources) ==
        "envs/prod.yaml:2:3: error[GW108]: 'gateway.limits' is a mapping here but a scalar in an earlier layer\n"
        " 2 |   limits:\n"
        "   |   ^~~~~~\n"
        "  = help: a later layer may change a value, not its kind\n"
        "base/a.yaml:2:11: note: the earlier scalar was set here\n"
        " 2 |   limits: 5\n"
        "   |           ^\n");
}

TEST_CASE("untouched subtrees are shared between the base and the merged result", "[merge]") {
  auto m = merge_texts({{"base/a.yaml", "providers: {a: {kind: openai}}\ngateway: {name: x}\n"}});
  Diagnostics d;
  SourceSet s;
  std::uint32_t id = s.add("envs/p.yaml", "env:p", "gateway: {name: y}\n");
  auto t = load_yaml(s, id, {}, d);
  NodePtr merged = merge_trees(m.root, t.root, d);
  CHECK(merged->get("providers") == m.root->get("providers"));
  CHECK(merged->get("gateway") != m.root->get("gateway"));
}

TEST_CASE("null values in a first definition are dropped, never kept as null", "[merge]") {
  auto m = merge_texts({{"base/a.yaml", "gateway: {name: a, admin: null}\n"}});
  CHECK(to_json(*m.root) == json::parse(R"({"gateway": {"name": "a"}})"));
}

TEST_CASE("an overlay that adds a key and overrides another in a large mapping keeps one entry per key", "[merge]") {
  std::string base = "vars:\n";
  for (int i = 0; i < 14; ++i) base += "  k" + std::to_string(i) + ": v\n";
  base += "  team: platform\n";
  auto m = merge_texts({{"base/a.yaml", base}, {"envs/p.yaml", "vars:\n  new1: x\n  new2: y\n  team: prod\n"}});
  const Node* vars = m.root->get("vars");
  std::size_t teams = 0;
  for (const auto& e : vars->entries) teams += e.key == "team";
  CHECK(teams == 1);
  CHECK(vars->get("team")->text == "prod");
  CHECK(vars->entries.size() == 17);
}

TEST_CASE("$delete: false keeps a named item and merges the rest", "[merge]") {
  auto m = merge_texts(
      {{"base/a.yaml", "routes: [{name: a, x: 1}]\n"}, {"envs/p.yaml", "routes: [{name: a, $delete: false, x: 2}]\n"}});
  CHECK_FALSE(m.diags.has_errors());
  CHECK(to_json(*m.root)["routes"] == json::parse(R"([{"name": "a", "x": 2}])"));
}
