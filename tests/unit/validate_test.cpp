#include <catch2/catch.hpp>

#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;

TEST_CASE("the minimal project validates clean", "[validate]") {
  auto c = compile(project_with("gateway: {replicas: 1}\n"), "prod");
  CHECK(c->all_rendered() == "");
  CHECK_FALSE(c->result.artifact.is_null());
}

TEST_CASE("an unknown key in an overlay points at the overlay line with a suggestion", "[validate]") {
  auto c = compile(project_with("routes:\n  - name: chat\n    resilience:\n      retires: 3\n"), "prod");
  CHECK(c->all_rendered() ==
        "envs/prod.yaml:4:7: error[GW102]: unknown key 'retires' in routes[chat].resilience; did you mean 'retries'?\n"
        " 4 |       retires: 3\n"
        "   |       ^~~~~~~\n");
  CHECK(c->result.artifact.is_null());
  CHECK(c->result.diags.all()[0].path == "/routes/0/resilience/retires");
}

TEST_CASE("an unknown key far from every name lists the allowed keys", "[validate]") {
  auto c = compile(project_with("gateway: {zzzzzz: 1}\n"), "prod");
  REQUIRE(c->result.diags.size() == 1);
  CHECK(c->result.diags.all()[0].hint.starts_with("allowed keys: admin, description, limits, listen, name"));
}

TEST_CASE("a wrong type is reported at the layer that set it, with a note at the value it replaced", "[validate]") {
  auto base = project_with("gateway:\n  replicas: three\n");
  base["base/gateway.yaml"] =
      std::string(minimal_base)
          .replace(std::string(minimal_base).find("  name: test\n"), 13, "  name: test\n  replicas: 2\n");
  auto d = compile(base, "prod");
  CHECK(d->all_rendered() ==
        "envs/prod.yaml:2:13: error[GW104]: 'replicas' must be an integer, not the string 'three'\n"
        " 2 |   replicas: three\n"
        "   |             ^~~~~\n"
        "base/gateway.yaml:4:13: note: it replaced the value set here\n"
        " 4 |   replicas: 2\n"
        "   |             ^\n");
}

TEST_CASE("a missing required field points at the mapping that lacks it", "[validate]") {
  auto c = compile(project_with("providers:\n  extra:\n    base_url: https://x.example.com\n"), "prod");
  REQUIRE(c->result.diags.size() == 1);
  const Diagnostic& d = c->result.diags.all()[0];
  CHECK(d.rule == "GW104");
  CHECK(d.message == "providers.extra is missing the required field 'kind'");
  CHECK(d.span.line == 2);  // the key that introduces the mapping: "  extra:"
  CHECK(c->project.sources.file(d.span.file).path == "envs/prod.yaml");
}

TEST_CASE("an enum mismatch lists the allowed values and suggests the closest", "[validate]") {
  auto c = compile(project_with("providers:\n  openai: {kind: opneai}\n"), "prod");
  REQUIRE(c->result.diags.size() == 1);
  CHECK(c->result.diags.all()[0].message ==
        "'kind' must be one of 'openai', 'azure-openai', 'anthropic', 'openai-compatible', not 'opneai'; did you "
        "mean 'openai'?");
}

TEST_CASE("a literal in a secret-bearing field is GW111 and never shows the value", "[validate]") {
  auto c = compile(project_with("providers:\n  openai: {api_key: sk-proj-abcdefghijklmnopqrstuvwxyz012345}\n"), "prod");
  REQUIRE(c->result.diags.size() == 1);
  CHECK(c->result.diags.all()[0].rule == "GW111");
  std::string text = c->all_rendered();
  CHECK(text.find("providers.openai.api_key") != std::string::npos);
  // The message never repeats the value (the source line in the snippet is the user's own file).
  CHECK(c->result.diags.all()[0].message.find("sk-proj") == std::string::npos);
  CHECK(c->result.diags.all()[0].hint.find("sk-proj") == std::string::npos);
}

TEST_CASE("durations and sizes are parsed and range checked", "[validate]") {
  auto c = compile(project_with("gateway:\n  limits: {header_timeout: 10 seconds, max_request_bytes: 5TB}\n"), "prod");
  REQUIRE(c->result.diags.size() == 2);
  CHECK(c->result.diags.all()[0].rule == "GW112");
  CHECK(c->result.diags.all()[0].message == "'10 seconds' is not a valid duration for 'header_timeout'");
  CHECK(c->result.diags.all()[1].message == "'5TB' is not a valid size for 'max_request_bytes'");
  auto big = compile(project_with("gateway:\n  limits: {idle_timeout: 400d}\n"), "prod");
  REQUIRE(big->result.diags.size() == 1);
  CHECK(big->result.diags.all()[0].rule == "GW112");
}

TEST_CASE("'exactly one of' rules use the schema's own message", "[validate]") {
  auto c = compile(project_with("routes:\n  - name: chat\n    limits: [{per: 1m}]\n"), "prod");
  REQUIRE(c->result.diags.size() == 1);
  CHECK(c->result.diags.all()[0].message ==
        "a limit needs exactly one of 'requests' or 'tokens' in routes[chat].limits[0]");
}

TEST_CASE("a name with spaces is refused by pattern, checked with RE2", "[validate]") {
  auto c = compile(project_with("providers:\n  'my provider': {kind: openai, base_url: https://x.y}\n"), "prod");
  REQUIRE(c->result.diags.size() >= 1);
  CHECK(c->result.diags.all()[0].message.find("'my provider' is not a valid name") == 0);
}

TEST_CASE("a respond header with a line break is refused where it is written, without the regex", "[validate]") {
  auto c = compile(
      project_with("routes:\n  - name: health\n    match: {path: /h}\n    auth: {type: none, public: true, "
                   "reason: probe}\n    respond:\n      status: 200\n      headers: {x-a: \"1\\r\\nset-cookie: a=b\", "
                   "'x b': '1'}\n      content_type: \"text/plain\\n\"\n"),
      "prod");
  auto message_at = [&](std::string_view path) -> std::string {
    for (const auto& d : c->result.diags.all()) {
      if (d.path.ends_with(path)) return fmt::format("{}:{} {} {}", d.span.line, d.span.column, d.rule, d.message);
    }
    return "<none>";
  };
  CHECK(message_at("/respond/headers/x-a") ==
        "7:22 GW104 the value of 'x-a' holds a control character (a line break?), which cannot go into an HTTP "
        "header");
  CHECK(message_at("/respond/headers/x b") ==
        "7:46 GW104 'x b' is not an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)");
  CHECK(message_at("/respond/content_type") ==
        "8:21 GW104 the value of 'content_type' holds a control character (a line break?), which cannot go into an "
        "HTTP header");
  CHECK(c->result.artifact.is_null());
}

TEST_CASE("every problem of a run is reported, not only the first", "[validate]") {
  auto c = compile(
      project_with("gateway: {replicas: 0, listn: x}\nroutes:\n  - name: chat\n    timeouts: {total: 1x}\n"), "prod");
  CHECK(c->result.diags.size() == 3);
}

TEST_CASE("a collection item that is not a mapping is an error, not a silent pass", "[validate]") {
  auto c = compile(project_with("providers:\n  bogus: 42\nconsumers: [7]\n"), "prod");
  REQUIRE(c->result.diags.size() == 2);
  CHECK(c->result.diags.all()[0].message == "'consumers[0]' must be a mapping, not the number 7");
  CHECK(c->result.diags.all()[1].message == "'bogus' must be a mapping, not the number 42");
  CHECK(c->result.artifact.is_null());
}

TEST_CASE("a type error in a secret-bearing field does not quote the value", "[validate][secrets]") {
  auto c = compile(project_with("consumers:\n  - name: x\n    api_keys: sk-live-abcdefghijklmnop\n"), "prod");
  REQUIRE(c->result.diags.size() == 1);
  CHECK(c->result.diags.all()[0].message == "'api_keys' must be a list, not string");
}

TEST_CASE("references in flags or vars are refused: they are read before interpolation", "[interpolate]") {
  auto c = compile(project_with("vars: {on: true}\nflags: {x: '${var:on}'}\n"), "prod", Stage::merge);
  REQUIRE(c->has_errors());
  CHECK(c->result.diags.all().back().message == "'x' in 'flags' contains a reference; flags hold plain values");
}
