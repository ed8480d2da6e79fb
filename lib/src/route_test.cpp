#include "gwctl/route_test.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "gwctl/schema.hpp"
#include "gwctl/units.hpp"
#include "gwctl/validate.hpp"
#include "gwd/decide.hpp"

namespace gwctl {

namespace {

// The file passed the schema, so every node below has the shape it promises; these read it.
std::string text_of(const Node* n) {
  return n != nullptr ? n->text : std::string();
}

std::optional<std::string> name_or_null(const Node& n) {
  if (n.kind == NodeKind::null) return std::nullopt;
  return n.text;
}

double weight_percent(const Node& n) {
  if (n.kind == NodeKind::integer) return static_cast<double>(n.integer);
  if (n.kind == NodeKind::number) return n.number;
  std::string t = n.text;
  if (!t.empty() && t.back() == '%') t.pop_back();
  return std::strtod(t.c_str(), nullptr);
}

ScriptedOutcome outcome_of(const Node& n) {
  if (n.kind == NodeKind::integer) return {ScriptedOutcome::Kind::status, static_cast<int>(n.integer)};
  if (n.text == "timeout") return {ScriptedOutcome::Kind::timeout, 0};
  return {ScriptedOutcome::Kind::connect_error, 0};
}

void read_request(const Node& r, RouteTest::Request& out) {
  if (const Node* n = r.get("method")) out.method = n->text;
  out.target = text_of(r.get("path"));
  if (const Node* h = r.get("headers")) {
    for (const Entry& e : h->entries) out.headers.emplace_back(e.key, e.value->text);
  }
  if (const Entry* e = r.entry("consumer")) {
    out.consumer = e->value->text;
    out.consumer_span = e->value->span;
  }
  if (const Node* n = r.get("api_key")) out.api_key = n->text;
  if (const Node* n = r.get("key_header")) out.x_api_key = n->text == "x-api-key";
  if (const Node* n = r.get("body")) out.body = to_json(*n);
  if (const Node* n = r.get("model")) {
    if (!out.body.is_object()) out.body = nlohmann::json::object();
    out.body["model"] = n->text;
  }
  if (const Node* n = r.get("stream")) {
    if (!out.body.is_object()) out.body = nlohmann::json::object();
    out.body["stream"] = n->boolean;
  }
  if (const Node* n = r.get("repeat")) out.repeat = static_cast<int>(n->integer);
}

// Combinations the schema cannot express, each of which would send another request than the
// one the test's author wrote.
void check_request(const Node& r, const RouteTest::Request& req, Diagnostics& diags) {
  if (req.consumer && req.api_key) {
    diags.error("GW119", "a request presents either 'consumer' or 'api_key', not both", req.consumer_span);
  }
  if (const Node* headers = r.get("headers"); headers != nullptr && (req.consumer || req.api_key)) {
    for (const Entry& e : headers->entries) {
      gwd::Headers one;
      one.items.emplace_back(e.key, e.value->text);
      if (!gwd::presented_key(one)) continue;
      diags.error("GW119",
                  fmt::format("header '{}' presents a key, and so does '{}': the request would carry two keys; "
                              "drop the header",
                              e.key, req.consumer ? "consumer" : "api_key"),
                  e.key_span);
    }
  }
  if (const Node* body = r.get("body"); body != nullptr && !body->is_map() && (r.get("model") || r.get("stream"))) {
    diags.error("GW119",
                "'model' and 'stream' are written into 'body', and this body is not a mapping; drop them to send "
                "the body as it is (gwd refuses it with 400)",
                body->span);
  }
}

void read_expect(const Node& x, RouteTest::Expect& out) {
  for (const Entry& e : x.entries) {
    const Node& v = *e.value;
    Span at = v.span;
    if (e.key == "route") {
      out.route = {{name_or_null(v)}, at};
    } else if (e.key == "status") {
      out.status = {{static_cast<int>(v.integer)}, at};
    } else if (e.key == "error") {
      out.error = {{v.text}, at};
    } else if (e.key == "consumer") {
      out.consumer = {{name_or_null(v)}, at};
    } else if (e.key == "model") {
      out.model = {{v.text}, at};
    } else if (e.key == "deployments") {
      std::vector<std::pair<std::string, double>> list;
      for (const NodePtr& item : v.items)
        list.emplace_back(text_of(item->get("deployment")), weight_percent(*item->get("weight")));
      out.deployments = {{std::move(list)}, at};
    } else if (e.key == "attempts") {
      std::vector<std::string> list;
      for (const NodePtr& item : v.items) list.push_back(item->text);
      out.attempts = {{std::move(list)}, at};
    } else if (e.key == "upstream") {
      for (const Entry& u : v.entries) {
        Expectation<std::string> ex{u.value->text, u.value->span};
        if (u.key == "deployment") out.upstream_deployment = ex;
        if (u.key == "model") out.upstream_model = ex;
        if (u.key == "auth") out.upstream_auth = ex;
        if (u.key == "path") out.upstream_path = ex;
      }
    } else if (e.key == "retry_after") {
      out.retry_after = {{parse_duration_ms(v.text).value_or(0)}, at};
    }
  }
}

}  // namespace

std::optional<RouteTestFile> parse_route_tests(const SourceSet& sources, std::uint32_t file, const LoadLimits& limits,
                                               Diagnostics& diags) {
  std::size_t errors_before = diags.error_count();
  ConfigTree tree = load_yaml(sources, file, limits, diags);
  if (tree.failed) return std::nullopt;
  if (!tree.root) {
    diags.error("GW119", "the test file is empty: expected a mapping with a 'tests' list", Span{file, 1, 1, 0});
    return std::nullopt;
  }
  validate(tree.root, Schema::tests(), diags);
  if (diags.error_count() > errors_before) return std::nullopt;

  RouteTestFile out;
  out.file = file;
  std::map<std::string, Span> seen;
  for (const NodePtr& item : tree.root->get("tests")->items) {
    RouteTest t;
    const Entry* name = item->entry("name");
    t.name = name->value->text;
    t.span = name->value->span;
    if (auto [it, fresh] = seen.emplace(t.name, t.span); !fresh) {
      Diagnostic& d = diags.error("GW119", "duplicate test name '" + t.name + "' in this file", t.span);
      d.notes.push_back({"first used here", it->second});
      continue;
    }
    if (const Entry* e = item->entry("env")) {
      t.env = e->value->text;
      t.env_span = e->value->span;
    }
    if (const Node* flags = item->get("flags")) {
      for (const NodePtr& f : flags->items) {
        auto eq = f->text.find('=');
        t.flags.push_back({f->text.substr(0, eq), eq == std::string::npos || f->text.substr(eq + 1) == "true"});
        t.flag_spans.push_back(f->span);
      }
    }
    const Node* request = item->get("request");
    read_request(*request, t.request);
    check_request(*request, t.request, diags);
    if (const Node* up = item->get("upstream")) {
      for (const Entry& e : up->entries) t.upstream.push_back({e.key, e.key_span, outcome_of(*e.value)});
    }
    read_expect(*item->get("expect"), t.expect);
    out.tests.push_back(std::move(t));
  }
  if (diags.error_count() > errors_before) return std::nullopt;
  return out;
}

std::optional<RouteTestFile> load_route_tests(const FileReader& reader, const std::string& path, SourceSet& sources,
                                              Diagnostics& diags) {
  LoadLimits limits;
  bool readable = false;
  std::uint32_t id = read_source(reader, path, "tests", sources, limits, diags, readable);
  if (!readable) return std::nullopt;
  return parse_route_tests(sources, id, limits, diags);
}

Expected<std::vector<std::string>> list_route_test_files(const FileReader& reader, const std::string& dir) {
  auto entries = reader.list(dir);
  if (!entries) return entries.error();
  std::vector<std::string> out;
  for (const DirEntry& e : *entries) {
    if (e.is_dir) continue;
    if (e.name.ends_with(".yaml") || e.name.ends_with(".yml")) out.push_back(dir + "/" + e.name);
  }
  return out;
}

}  // namespace gwctl
