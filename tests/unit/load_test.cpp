#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;

TEST_CASE("loader keeps the line and column of every key and value", "[load]") {
  auto l = load_text("gateway:\n  name: acme\n  replicas: 3\n");
  REQUIRE_FALSE(l.diags.has_errors());
  const Node& root = *l.tree.root;
  const Entry* gw = root.entry("gateway");
  REQUIRE(gw);
  CHECK(gw->key_span.line == 1);
  CHECK(gw->key_span.column == 1);
  const Entry* name = gw->value->entry("name");
  CHECK(name->key_span.line == 2);
  CHECK(name->key_span.column == 3);
  CHECK(name->value->span.line == 2);
  CHECK(name->value->span.column == 9);
  CHECK(name->value->text == "acme");
  CHECK(gw->value->get("replicas")->kind == NodeKind::integer);
  CHECK(gw->value->get("replicas")->integer == 3);
}

TEST_CASE("plain scalars follow the YAML 1.2 core schema, quoted ones stay strings", "[load]") {
  auto l = load_text("a: true\nb: 'true'\nc: 1.5\nd: \"12\"\ne: ~\nf: off\ng: 0x1F\nh: 2023-06-01\n");
  REQUIRE_FALSE(l.diags.has_errors());
  const Node& r = *l.tree.root;
  CHECK(r.get("a")->kind == NodeKind::boolean);
  CHECK(r.get("b")->kind == NodeKind::string);
  CHECK(r.get("c")->kind == NodeKind::number);
  CHECK(r.get("c")->number == 1.5);
  CHECK(r.get("d")->kind == NodeKind::string);
  CHECK(r.get("e")->kind == NodeKind::null);
  CHECK(r.get("f")->kind == NodeKind::string);  // YAML 1.1 booleans are strings here
  CHECK(r.get("g")->integer == 31);
  CHECK(r.get("h")->kind == NodeKind::string);
}

TEST_CASE("duplicate keys are an error pointing at the second with a note at the first", "[load]") {
  auto l = load_text("gateway:\n  name: a\n  name: b\n");
  REQUIRE(l.diags.size() == 1);
  CHECK(rendered(l.diags, l.sources) ==
        "base/a.yaml:3:3: error[GW103]: duplicate key 'name'\n"
        " 3 |   name: b\n"
        "   |   ^~~~\n"
        "  = help: YAML keeps only one of them; remove or rename one\n"
        "base/a.yaml:2:3: note: first defined here\n"
        " 2 |   name: a\n"
        "   |   ^~~~\n");
}

TEST_CASE("a second YAML document in one file is an error", "[load]") {
  auto l = load_text("a: 1\n---\nb: 2\n");
  REQUIRE(l.diags.has_errors());
  CHECK(l.diags.all()[0].rule == "GW107");
  CHECK(l.diags.all()[0].span.line == 3);
  CHECK(l.tree.failed);
}

TEST_CASE("unknown tags are refused", "[load]") {
  auto l = load_text("a: !!python/object:os.system ls\n");
  REQUIRE(l.diags.has_errors());
  CHECK(l.diags.all()[0].rule == "GW107");
  CHECK(l.diags.all()[0].message.find("unknown YAML tag") != std::string::npos);
}

TEST_CASE("an alias bomb is an error, not an out-of-memory", "[load][hostile]") {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 12; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += (k ? ", *a" : "*a") + std::to_string(i - 1);
    text += "]\n";
  }
  auto l = load_text(text);
  REQUIRE(l.diags.has_errors());
  CHECK(l.diags.all()[0].rule == "GW105");
  CHECK(l.diags.all()[0].message.find("alias expansion") != std::string::npos);
  CHECK(l.tree.root == nullptr);
}

TEST_CASE("aliases share their anchor's node and keep the anchor's position", "[load]") {
  auto l = load_text("base: &b {retries: 2}\nother: *b\n");
  REQUIRE_FALSE(l.diags.has_errors());
  CHECK(l.tree.root->get("base") == l.tree.root->get("other"));
}

TEST_CASE("YAML merge keys fill keys the mapping does not set", "[load]") {
  auto l = load_text("defaults: &d {retries: 2, max_attempts: 3}\nroute:\n  <<: *d\n  retries: 5\n");
  REQUIRE_FALSE(l.diags.has_errors());
  const Node* route = l.tree.root->get("route");
  CHECK(route->get("retries")->integer == 5);
  CHECK(route->get("max_attempts")->integer == 3);
  CHECK(route->get("<<") == nullptr);
}

TEST_CASE("nesting deeper than the limit is an error at the deep node", "[load][hostile]") {
  std::string deep(10000, '[');
  deep += std::string(10000, ']');
  auto l = load_text("a: " + deep + "\n");
  REQUIRE(l.diags.has_errors());
  CHECK(l.diags.all()[0].rule == "GW105");
  CHECK(l.diags.all()[0].message == "nesting is deeper than 64 levels");

  std::string block;
  for (int i = 0; i < 200; ++i) block += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k:\n";
  auto b = load_text(block);
  REQUIRE(b.diags.has_errors());
  CHECK(b.diags.all()[0].rule == "GW105");
}

TEST_CASE("invalid UTF-8 is reported at its line and column", "[load][hostile]") {
  auto l = load_text("a: ok\nb: caf\xc3\xa9 \xff\n");
  REQUIRE(l.diags.size() == 1);
  const Diagnostic& d = l.diags.all()[0];
  CHECK(d.rule == "GW106");
  CHECK(d.message == "invalid UTF-8 byte 0xff");
  CHECK(d.span.line == 2);
  CHECK(d.span.column == 9);
}

TEST_CASE("a file with NUL bytes is reported as binary", "[load][hostile]") {
  auto l = load_text(std::string("a: 1\n\0\x01\x02", 8));
  REQUIRE(l.diags.size() == 1);
  CHECK(l.diags.all()[0].rule == "GW106");
  CHECK(l.diags.all()[0].message.find("binary") != std::string::npos);
}

TEST_CASE("files above the size cap are refused before parsing", "[load][hostile]") {
  LoadLimits limits;
  limits.max_file_bytes = 64;
  auto l = load_text(std::string(100, '#'), "base/big.yaml", limits);
  REQUIRE(l.diags.size() == 1);
  CHECK(l.diags.all()[0].rule == "GW105");
  CHECK(l.diags.all()[0].message == "file is 100 bytes; the limit is 64 bytes");
}

TEST_CASE("malformed YAML is GW101 at the parser's position", "[load]") {
  auto l = load_text("a: [1, 2\nb: 3\n");
  REQUIRE(l.diags.has_errors());
  CHECK(l.diags.all()[0].rule == "GW101");
  CHECK(l.diags.all()[0].span.valid());
}

TEST_CASE("an unquoted reference in a flow sequence gets a hint with the quoted form", "[load]") {
  auto l = load_text("consumers:\n  - name: a\n    api_keys: [${secret:WEB_KEY}]\n");
  REQUIRE(l.diags.has_errors());
  const Diagnostic& d = l.diags.all()[0];
  CHECK(d.rule == "GW101");
  CHECK(d.hint == "inside a flow collection ('[...]' or '{...}') a reference must be quoted: \"${secret:WEB_KEY}\"");
}

TEST_CASE("an empty file or one with only comments loads as nothing, without errors", "[load]") {
  CHECK_FALSE(load_text("").diags.has_errors());
  auto l = load_text("# just a comment\n");
  CHECK_FALSE(l.diags.has_errors());
  CHECK(l.tree.root == nullptr);
}

TEST_CASE("integers beyond 64 bits and infinities are refused", "[load]") {
  auto big = load_text("a: 99999999999999999999999\n");
  REQUIRE(big.diags.has_errors());
  CHECK(big.diags.all()[0].message == "integer '99999999999999999999999' is out of range");
  auto inf = load_text("a: .inf\n");
  REQUIRE(inf.diags.has_errors());
  CHECK(inf.diags.all()[0].message == "'.inf' is not a finite number");
}

TEST_CASE("JSON pointers split into unescaped tokens and find nodes by key and index", "[pointer]") {
  CHECK(pointer_tokens("/routes/0/match") == std::vector<std::string>{"routes", "0", "match"});
  CHECK(pointer_tokens("/a~1b/c~0d/~2") == std::vector<std::string>{"a/b", "c~d", "~2"});
  CHECK(pointer_tokens("/") == std::vector<std::string>{""});
  CHECK(pointer_tokens("").empty());
  CHECK(pointer_tokens("no-slash").empty());
  CHECK(pointer_unescape(pointer_escape("x/~y")) == "x/~y");
  auto l = load_text("routes:\n  - name: chat\n    match: {path: /v1}\nodd/key: 1\n");
  REQUIRE_FALSE(l.diags.has_errors());
  const Node& doc = *l.tree.root;
  const Node* path = find_pointer(doc, "/routes/0/match/path");
  REQUIRE(path);
  CHECK(path->text == "/v1");
  CHECK(find_pointer(doc, "/odd~1key"));
  CHECK_FALSE(find_pointer(doc, "/routes/1"));
  CHECK(describe_path(doc, "/routes/0/match") == "routes[chat].match");
}

TEST_CASE("a file named on the command line is read whole, or refused naming why", "[source]") {
  auto dir = std::filesystem::temp_directory_path() / "gwctl-input-file-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto file = (dir / "a.json").string();
  std::ofstream(file) << "{\"x\": 1}\n";
  auto ok = read_input_file(file, 64);
  REQUIRE(ok);
  CHECK(*ok == "{\"x\": 1}\n");
  auto missing = read_input_file((dir / "nope.pub").string(), 64, "the key");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == IoError::Kind::not_found);
  CHECK(missing.error().message == "cannot read the key '" + (dir / "nope.pub").string() + "': no such file");
  auto folder = read_input_file(dir.string(), 64);
  REQUIRE_FALSE(folder);
  CHECK(folder.error().message == "cannot read '" + dir.string() + "': not a regular file");
  auto big = read_input_file(file, 4);
  REQUIRE_FALSE(big);
  CHECK(big.error().kind == IoError::Kind::too_large);
  CHECK(big.error().message == "cannot read '" + file + "': it is over 4 bytes");
  auto over_kib = read_input_file(file, 4, "the key");
  REQUIRE_FALSE(over_kib);
  std::ofstream(file) << std::string(2048, 'x');
  auto over = read_input_file(file, 1024, "the key");
  REQUIRE_FALSE(over);
  CHECK(over.error().message == "cannot read the key '" + file + "': it is over 1 KiB");
  std::filesystem::remove_all(dir);
  CHECK(plain_relative("base/routes.yaml"));
  CHECK_FALSE(plain_relative("../secrets"));
  CHECK_FALSE(plain_relative("/etc/passwd"));
  CHECK_FALSE(plain_relative("envs/../../x"));
}
