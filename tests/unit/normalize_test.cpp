#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "gwctl/normalize.hpp"
#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;
using json = nlohmann::json;

TEST_CASE("weights become basis points summing to 10000 by largest remainder", "[normalize]") {
  CHECK(normalize_weights({95, 5}) == std::vector<std::int64_t>{9500, 500});
  CHECK(normalize_weights({1, 1, 1}) == std::vector<std::int64_t>{3334, 3333, 3333});
  CHECK(normalize_weights({2, 1}) == std::vector<std::int64_t>{6667, 3333});
  CHECK(normalize_weights({0, 0}) == std::vector<std::int64_t>{0, 0});
  CHECK(normalize_weights({7}) == std::vector<std::int64_t>{10000});
}

TEST_CASE("normalization fills defaults, converts units and secrets, expands shorthand", "[normalize]") {
  auto c = compile(project_with("gateway: {replicas: 1}\n"), "prod");
  REQUIRE_FALSE(c->has_errors());
  const json& cfg = c->result.artifact["config"];
  CHECK_FALSE(cfg.contains("vars"));
  CHECK(cfg["gateway"]["listen"] == "0.0.0.0:8080");
  CHECK(cfg["gateway"]["limits"]["max_request_bytes"] == 1048576);
  CHECK(cfg["gateway"]["limits"]["header_timeout"] == 10000);
  CHECK(cfg["gateway"]["admin"]["listen"] == "127.0.0.1:9901");
  CHECK(cfg["providers"]["openai"]["api_key"] == json::parse(R"({"$secret": "OPENAI_API_KEY"})"));
  CHECK(cfg["providers"]["openai"]["tls"]["verify"] == true);
  CHECK(cfg["models"]["gpt-4o"]["deployments"] ==
        json::parse(R"([{"provider": "openai", "id": "gpt-4o-2024-11-20", "weight": 10000}])"));
  CHECK_FALSE(cfg["models"]["gpt-4o"].contains("provider"));
  const json& route = cfg["routes"][0];
  CHECK(route["auth"]["type"] == "api_key");
  CHECK(route["timeouts"]["total"] == 60000);
  CHECK(route["resilience"]["backoff"]["base"] == 100);
  CHECK(route["log"]["bodies"] == false);
  CHECK_FALSE(route.contains("cors"));  // absent means off: no default
}

TEST_CASE("missing weights split evenly", "[normalize]") {
  auto files = project_with(
      "models:\n  gpt-4o:\n    $replace: true\n    floating: true\n    deployments:\n      - {provider: openai, id: "
      "a}\n"
      "      - {provider: openai, id: b}\n");
  auto c = compile(files, "prod");
  REQUIRE_FALSE(c->has_errors());
  const json& deps = c->result.artifact["config"]["models"]["gpt-4o"]["deployments"];
  CHECK(deps[0]["weight"] == 5000);
  CHECK(deps[1]["weight"] == 5000);
}

TEST_CASE("an explicit default and an omitted one produce the same artifact config", "[normalize]") {
  auto a = compile(project_with("gateway: {replicas: 1}\n"), "prod");
  auto b = compile(project_with("gateway: {replicas: 1, listen: '0.0.0.0:8080'}\n"), "prod");
  CHECK(a->result.artifact["config"] == b->result.artifact["config"]);
}
