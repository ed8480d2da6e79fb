#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "gwctl/interpolate.hpp"
#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;
using json = nlohmann::json;

namespace {
struct Result {
  Merged m;
  NodePtr out;
};
Result run(const std::string& text) {
  Result r{merge_texts({{"base/a.yaml", text}}), nullptr};
  r.out = interpolate(r.m.root, r.m.diags);
  return r;
}
}  // namespace

TEST_CASE("vars are substituted inside strings", "[interpolate]") {
  auto r = run("vars: {org: acme, region: eu}\nurl: https://${var:org}-${var:region}.example.com\n");
  REQUIRE_FALSE(r.m.diags.has_errors());
  CHECK(r.out->get("url")->text == "https://acme-eu.example.com");
}

TEST_CASE("a whole-scalar var keeps the var's type", "[interpolate]") {
  auto r = run("vars: {replicas: 3, on: true}\ngateway: {replicas: '${var:replicas}', flag: '${var:on}'}\n");
  REQUIRE_FALSE(r.m.diags.has_errors());
  CHECK(r.out->get("gateway")->get("replicas")->kind == NodeKind::integer);
  CHECK(r.out->get("gateway")->get("replicas")->integer == 3);
  CHECK(r.out->get("gateway")->get("flag")->kind == NodeKind::boolean);
}

TEST_CASE("secret references are kept as references", "[interpolate]") {
  auto r = run("api_key: ${secret:OPENAI_API_KEY}\n");
  REQUIRE_FALSE(r.m.diags.has_errors());
  CHECK(r.out->get("api_key")->text == "${secret:OPENAI_API_KEY}");
}

TEST_CASE("$${ is a literal ${", "[interpolate]") {
  auto r = run("body: 'costs $${var:x}'\n");
  REQUIRE_FALSE(r.m.diags.has_errors());
  CHECK(r.out->get("body")->text == "costs ${var:x}");
}

TEST_CASE("an unknown var is GW110 with a suggestion", "[interpolate]") {
  auto r = run("vars: {region: eu}\nurl: https://${var:regoin}.x\n");
  REQUIRE(r.m.diags.size() == 1);
  CHECK(r.m.diags.all()[0].rule == "GW110");
  CHECK(r.m.diags.all()[0].message == "unknown var 'regoin'");
  CHECK(r.m.diags.all()[0].hint == "did you mean 'region'?");
  CHECK(r.m.diags.all()[0].path == "/url");
}

TEST_CASE("a secret reference inside a larger string is refused", "[interpolate]") {
  auto r = run("url: https://user:${secret:PW}@host\n");
  REQUIRE(r.m.diags.has_errors());
  CHECK(r.m.diags.all()[0].rule == "GW115");
}

TEST_CASE("malformed and unterminated references are GW115", "[interpolate]") {
  CHECK(run("a: ${env:HOME}\n").m.diags.all().at(0).rule == "GW115");
  CHECK(run("a: 'x ${var:y'\n").m.diags.all().at(0).message == "unterminated reference: '${' without a closing '}'");
}

TEST_CASE("untouched subtrees are shared after interpolation", "[interpolate]") {
  auto r = run("vars: {a: b}\nx: {y: 1}\nz: ${var:a}\n");
  CHECK(r.out->get("x") == r.m.root->get("x"));
  CHECK(r.out->get("z") != r.m.root->get("z"));
}

TEST_CASE("parse_secret_ref accepts exactly one reference", "[interpolate]") {
  std::string name;
  CHECK(parse_secret_ref("${secret:A_B1}", &name));
  CHECK(name == "A_B1");
  CHECK_FALSE(parse_secret_ref("x${secret:A}"));
  CHECK_FALSE(parse_secret_ref("${secret:}"));
  CHECK_FALSE(parse_secret_ref("sk-123"));
}
