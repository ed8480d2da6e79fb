// gwctl graph: DOT text of routes → models → deployments → providers.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "gwctl/graph.hpp"
#include "helpers.hpp"

using namespace gwctl;
using json = nlohmann::json;

TEST_CASE("dot_quote escapes quotes and backslashes so Graphviz shows names as written", "[graph]") {
  CHECK(dot_quote("chat") == "\"chat\"");
  CHECK(dot_quote("say \"hi\"") == "\"say \\\"hi\\\"\"");
  CHECK(dot_quote("a\\N\\") == "\"a\\\\N\\\\\"");  // no \N expansion, no escaped closing quote
  CHECK(dot_quote("two\nlines\ttab") == "\"two\\nlines tab\"");
}

TEST_CASE("weights are shown as percentages of the model's traffic", "[graph]") {
  CHECK(weight_percent(10000) == "100%");
  CHECK(weight_percent(9500) == "95%");
  CHECK(weight_percent(3333) == "33.33%");
  CHECK(weight_percent(50) == "0.5%");
  CHECK(weight_percent(0) == "0%");
}

TEST_CASE("a small config draws routes, models, weighted deployments, providers and dashed fallbacks", "[graph]") {
  json config = json::parse(R"({
    "gateway": {"name": "mini"},
    "providers": {"openai": {"kind": "openai"}, "az": {"kind": "azure-openai"}},
    "models": {
      "big": {"deployments": [{"provider": "openai", "id": "gpt-4o", "weight": 9000},
                              {"provider": "az", "id": "gpt-4o", "weight": 1000}],
              "fallbacks": ["small"]},
      "small": {"deployments": [{"provider": "openai", "id": "mini\"x\\y", "weight": 10000}]}
    },
    "routes": [
      {"name": "health", "match": {"path": "/healthz"}, "auth": {"type": "none"}, "respond": {"status": 200}},
      {"name": "chat", "match": {"path": "/v1/chat", "methods": ["POST"]}, "auth": {"type": "api_key"},
       "models": ["big", "small"], "default_model": "big"}
    ]
  })");
  std::string dot = render_dot(config, "prod", {"beta"});
  CHECK(dot == R"dot(digraph gwctl {
  graph [rankdir=LR, label="mini — prod\nflags: beta", labelloc=t, fontname=Helvetica, nodesep=0.3, ranksep=1.2];
  node [fontname=Helvetica, fontsize=11];
  edge [fontname=Helvetica, fontsize=10];

  subgraph cluster_routes {
    label="routes (first match wins)";
    style=dashed;
    "route:health" [shape=box, label="route health (#1)\n/healthz\nresponds 200\npublic", style="filled,bold", color=red, fillcolor="#fde0e0"];
    "route:chat" [shape=box, label="route chat (#2)\nPOST /v1/chat\nauth: api_key"];
  }

  subgraph cluster_models {
    label="models";
    style=dashed;
    "model:big" [shape=ellipse, label="model big"];
    "model:small" [shape=ellipse, label="model small"];
  }

  subgraph cluster_deployments {
    label="deployments";
    style=dashed;
    "deployment:az/gpt-4o" [shape=box, style=rounded, label="gpt-4o\non az"];
    "deployment:openai/gpt-4o" [shape=box, style=rounded, label="gpt-4o\non openai"];
    "deployment:openai/mini\"x\\y" [shape=box, style=rounded, label="mini\"x\\y\non openai"];
  }

  subgraph cluster_providers {
    label="providers";
    style=dashed;
    "provider:az" [shape=cylinder, label="provider az\nazure-openai"];
    "provider:openai" [shape=cylinder, label="provider openai\nopenai"];
  }

  // route → model (the default model labelled)
  "route:chat" -> "model:big" [label="default", penwidth=2];
  "route:chat" -> "model:small";

  // model → deployment, with its share of the model's traffic
  "model:big" -> "deployment:openai/gpt-4o" [label="90%"];
  "model:big" -> "deployment:az/gpt-4o" [label="10%"];
  "model:small" -> "deployment:openai/mini\"x\\y" [label="100%"];

  // deployment → provider
  "deployment:az/gpt-4o" -> "provider:az";
  "deployment:openai/gpt-4o" -> "provider:openai";
  "deployment:openai/mini\"x\\y" -> "provider:openai";

  // fallbacks, dashed, in the order they are tried
  "model:big" -> "model:small" [style=dashed, color=gray40, label="fallback 1", constraint=false];
}
)dot");
}

TEST_CASE("the graph of a compiled environment is the same text every time", "[graph]") {
  auto c = gwctl::test::compile(gwctl::test::project_with("gateway: {replicas: 2}\n"), "prod");
  REQUIRE_FALSE(c->has_errors());
  std::string a = render_dot(c->result.artifact["config"], "prod", {});
  CHECK(a == render_dot(c->result.artifact["config"], "prod", {}));
  CHECK(a.find("\"model:gpt-4o\" -> \"deployment:openai/gpt-4o-2024-11-20\" [label=\"100%\"];") != std::string::npos);
  CHECK(a.find("\"route:chat\" -> \"model:gpt-4o\" [label=\"default\", penwidth=2];") != std::string::npos);
}
