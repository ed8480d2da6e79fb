// scan_json: the document-free JSON check behind request bodies and response usage must say
// "valid" exactly when nlohmann's parser does, and find the members nlohmann would keep.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "json_scan.hpp"

using gwd::detail::plain_prefix;
using gwd::detail::scan_json;
using json = nlohmann::json;

namespace {

// The verdicts agree, and for an object every key nlohmann keeps is found with the same value.
void agrees(const std::string& text) {
  INFO("text: " << json(text).dump(-1, ' ', true, json::error_handler_t::replace));
  auto scan = scan_json(text);
  bool accepted = json::accept(text);
  REQUIRE(scan.valid == accepted);
  if (!accepted) return;
  json parsed = json::parse(text);
  REQUIRE(scan.object == parsed.is_object());
  if (!parsed.is_object()) return;
  for (const auto& [key, value] : parsed.items()) {
    const auto* m = gwd::detail::last_member(scan, key);
    REQUIRE(m != nullptr);
    CHECK(json::parse(m->value) == value);
    CHECK(std::string_view(text).substr(m->value_at, m->value.size()) == m->value);
  }
}

}  // namespace

TEST_CASE("scan_json accepts and refuses what nlohmann's parser does") {
  const std::vector<std::string> cases = {
      "{}", " { } ", "[]", "[1,2,[3,{}]]", "\"s\"", "0", "-0", "-0.5e+3", "1E9", "true", "false", "null",
      "\xEF\xBB\xBF{}", "{\"a\":1,\"a\":2}", R"({"a":{"b":[true,false,null]},"c":"d"})",
      R"({"k\u00e9y\ud83d\ude00":"v\n\t\"\\\/\b\f\r"})", "{\"caf\xC3\xA9\":\"\xF0\x9F\x98\x80\"}",
      // refused
      "", " ", "{", "}", "{]", "[}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[,1]", "{,}", "01", "-", "1.", ".5",
      "1e", "1e+", "+1", "tru", "nul", "True", "{\"a\":1}x", "{} {}", "\"unterminated", "\"\x01\"", "\"\\x\"",
      "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\xC3\"", "\"\xC0\xAF\"", "\"\xED\xA0\x80\"",
      "\"\xF4\x90\x80\x80\"", "\"\xFF\"", "\xEF\xBB{}", "{\"a\" 1}", "[1 2]", "{1:2}", "\"\xE0\x80\x80\"",
      "\"\xF0\x80\x80\x80\"", "\"\x7F\"", "'a'", "[\"a\"\"b\"]"};
  for (const std::string& text : cases) agrees(text);
}

TEST_CASE("scan_json agrees with nlohmann on 20,000 mutated and random texts with a fixed seed") {
  const std::vector<std::string> seeds = {
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"h\u00e9llo \"x\""}],"stream":true,"n":-1.5E-2})",
      R"({"usage":{"prompt_tokens":10,"completion_tokens":2},"choices":[{"message":{"content":"ok"}}]})",
      "[{\"a\":[[],{}],\"b\":null},\"\xE2\x82\xAC\",0,false]"};
  // No 'e'/'E' among inserted bytes: nlohmann refuses numbers beyond a double ("1e999"), which
  // RFC 8259 allows and gwd forwards as written.
  const std::string alphabet = "{}[]:,\" \\u0123-.9truflnsa/\x01\x7F\xC3\xA9\xED\xA0\x80\xF0\x9F\xF4\x90";
  std::mt19937 rng(20261204);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    if (i % 4 == 3) {
      for (std::size_t n = pick(16); n > 0; --n) text.push_back(alphabet[pick(alphabet.size())]);
    } else {
      text = seeds[pick(seeds.size())];
      for (std::size_t edits = 1 + pick(3); edits > 0; --edits) {
        std::size_t at = pick(text.size() + 1);
        char c = alphabet[pick(alphabet.size())];
        switch (pick(3)) {
          case 0:
            text.insert(at, 1, c);
            break;
          case 1:
            if (at < text.size()) text.erase(at, 1);
            break;
          default:
            if (at < text.size()) text[at] = c;
        }
      }
    }
    agrees(text);
  }
}

TEST_CASE("scan_json collects only the members asked for, and walks deep nesting without recursion") {
  auto scan = scan_json(R"({"model": "a", "messages": [], "stream": true})", {"model", "stream"});
  REQUIRE(scan.valid);
  REQUIRE(scan.members.size() == 2);
  CHECK(scan.members[0].key == "model");
  CHECK(scan.members[0].value == "\"a\"");
  CHECK(scan.members[1].value == "true");

  std::string deep = "{\"a\":" + std::string(1000000, '[') + std::string(1000000, ']') + "}";
  CHECK(scan_json(deep).valid);
  CHECK_FALSE(scan_json(deep.substr(0, deep.size() - 2)).valid);
}

TEST_CASE("plain_prefix stops at the first quote, backslash, control byte or non-ASCII byte, at any offset") {
  // Every special byte at every position of texts longer and shorter than one 16-byte block,
  // against the byte-by-byte definition.
  auto reference = [](std::string_view text) {
    std::size_t n = 0;
    while (n < text.size()) {
      auto c = static_cast<unsigned char>(text[n]);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
      ++n;
    }
    return n;
  };
  for (char special : {'"', '\\', '\0', '\x1f', '\x7f', '\x80', '\xff'}) {
    for (std::size_t length : {0U, 1U, 15U, 16U, 17U, 31U, 32U, 33U, 70U}) {
      for (std::size_t at = 0; at <= length; ++at) {
        std::string text(length, 'a');
        if (at < length) text[at] = special;
        CHECK(plain_prefix(text) == reference(text));
      }
    }
  }
  CHECK(plain_prefix("") == 0);
  CHECK(plain_prefix("~ !#") == 4);
}
