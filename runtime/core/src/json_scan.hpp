// JSON scanning without building a document, private to gwd_core. gwd reads a few top-level
// members of every request and response body ("model", "stream", "usage") and forwards the
// rest untouched; building a document for that costs more than the rest of a request's
// decisions. The scanner checks the whole text as RFC 8259 JSON (as strictly as nlohmann's
// parser: UTF-8 in strings, paired surrogate escapes, no leading zeros) and reports the
// members of a top-level object as slices of the text.
#pragma once

#include <cstddef>
#include <forward_list>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>

namespace gwd::detail {

struct JsonMember {
  // Decoded: one of the `keys` asked for, or (when all are asked for) in JsonScan's storage.
  std::string_view key;
  std::size_t value_at;    // offset of the value's first byte in the text
  std::string_view value;  // the value as written (a slice of the text)
};

struct JsonScan {
  bool valid = false;   // exactly one JSON value, with optional whitespace (and a UTF-8 BOM) around
  bool object = false;  // that value is an object
  // Its members in order, duplicates included (object only).
  boost::container::small_vector<JsonMember, 4> members;
  std::size_t open_at = 0;                 // offset of the object's '{' (object only)
  std::forward_list<std::string> decoded;  // keys with escapes, when every key is asked for
};

// Scans `text`; `members` are collected only for an object, and only those named in `keys`
// (all of them when `keys` is empty).
JsonScan scan_json(std::string_view text, const std::vector<std::string_view>& keys = {});

// The last member named `key`, as nlohmann's parser keeps a duplicated key's last value.
const JsonMember* last_member(const JsonScan& scan, std::string_view key);

// The contents of a string literal that scan_json has checked (quotes included), decoded.
std::string decode_json_string(std::string_view literal);

// `value` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view value);

// How many bytes at the start of `text` stand for themselves inside a JSON string: printable
// ASCII but the quote and the backslash. Sixteen bytes at a time where SSE2 is there.
std::size_t plain_prefix(std::string_view text);

}  // namespace gwd::detail
