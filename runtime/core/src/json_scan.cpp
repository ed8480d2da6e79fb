#include "json_scan.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gwd::detail {

namespace {

// Bytes that stand for themselves inside a string: printable ASCII but the quote and the
// backslash.
constexpr std::array<bool, 256> plain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return t;
}();

constexpr std::array<bool, 256> space = [] {
  std::array<bool, 256> t{};
  for (char c : {' ', '\t', '\n', '\r'}) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

// The first byte at or after `p` that is not plain (see above), or `end`.
inline const char* skip_plain(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i blank = _mm_set1_epi8(0x20);
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // As signed bytes, both the control characters and every byte from 0x80 are below ' '.
    __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), _mm_cmplt_epi8(v, blank));
    if (int mask = _mm_movemask_epi8(special); mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p != end && plain[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

// A cursor over the text. Every `read_*` checks one construct and moves past it, or returns
// false with the cursor anywhere: one failure ends the scan.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : begin_(text.data()), p_(begin_), end_(begin_ + text.size()) {}

  std::size_t at() const { return static_cast<std::size_t>(p_ - begin_); }
  bool done() const { return p_ == end_; }
  char peek() const { return p_ != end_ ? *p_ : '\0'; }
  bool eat(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  void skip_bom() {
    if (end_ - p_ >= 3 && std::string_view(p_, 3) == "\xEF\xBB\xBF") p_ += 3;
  }
  void skip_space() {
    while (p_ != end_ && space[static_cast<unsigned char>(*p_)]) ++p_;
  }

  // A string, quotes included. `escaped` tells whether it holds a backslash.
  bool read_string(bool& escaped) {
    escaped = false;
    if (!eat('"')) return false;
    for (;;) {
      p_ = skip_plain(p_, end_);
      if (p_ == end_) return false;
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        escaped = true;
        if (!read_escape()) return false;
      } else if (!read_utf8()) {
        return false;
      }
    }
  }

  // Any value, containers walked with an explicit stack (no recursion on hostile nesting).
  bool read_value() {
    Stack& open = open_;  // the open containers: '{' or '['
    open.clear();
    for (;;) {
      skip_space();
      char c = peek();
      bool escaped = false;
      if (c == '{' || c == '[') {
        ++p_;
        skip_space();
        if (eat(c == '{' ? '}' : ']')) {
          // empty container: a complete value
        } else {
          open.push_back(c);
          if (c == '{' && !read_key()) return false;
          continue;
        }
      } else if (c == '"') {
        if (!read_string(escaped)) return false;
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        if (!read_number()) return false;
      } else if (!read_word("true") && !read_word("false") && !read_word("null")) {
        return false;
      }
      // A value ended: close containers, or go on to the next element.
      for (;;) {
        if (open.empty()) return true;
        skip_space();
        char close = open.back() == '{' ? '}' : ']';
        if (eat(close)) {
          open.pop_back();
          continue;
        }
        if (!eat(',')) return false;
        if (open.back() == '{' && !read_key()) return false;
        break;
      }
    }
  }

  // `"key" :` inside an object.
  bool read_key() {
    skip_space();
    bool escaped = false;
    if (!read_string(escaped)) return false;
    skip_space();
    return eat(':');
  }

 private:
  bool read_word(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  bool digits() {
    const char* start = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ != start;
  }

  bool read_number() {
    eat('-');
    if (eat('0')) {
      // no leading zeros
    } else if (!digits()) {
      return false;
    }
    if (eat('.') && !digits()) return false;
    if (peek() == 'e' || peek() == 'E') {
      ++p_;
      if (!eat('+')) eat('-');
      if (!digits()) return false;
    }
    return true;
  }

  int hex4() {
    if (end_ - p_ < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = p_[i];
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    p_ += 4;
    return v;
  }

  bool read_escape() {
    ++p_;  // the backslash
    if (done()) return false;
    char c = *p_++;
    if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') return true;
    if (c != 'u') return false;
    int unit = hex4();
    if (unit < 0) return false;
    if (unit >= 0xDC00 && unit <= 0xDFFF) return false;  // a low surrogate alone
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      if (!eat('\\') || !eat('u')) return false;
      int low = hex4();
      return low >= 0xDC00 && low <= 0xDFFF;
    }
    return true;
  }

  // One multi-byte UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
  bool read_utf8() {
    auto byte = [&](std::ptrdiff_t i) { return static_cast<unsigned char>(p_[i]); };
    auto cont = [&](std::ptrdiff_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
      return i < end_ - p_ && byte(i) >= lo && byte(i) <= hi;
    };
    unsigned char c = byte(0);
    std::ptrdiff_t n = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      n = cont(1) ? 2 : 0;
    } else if (c == 0xE0) {
      n = cont(1, 0xA0) && cont(2) ? 3 : 0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      n = cont(1) && cont(2) ? 3 : 0;
    } else if (c == 0xED) {
      n = cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
    } else if (c == 0xF0) {
      n = cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    } else if (c >= 0xF1 && c <= 0xF3) {
      n = cont(1) && cont(2) && cont(3) ? 4 : 0;
    } else if (c == 0xF4) {
      n = cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
    }
    p_ += n;
    return n != 0;
  }

  // A stack of bytes whose storage is kept from value to value and grows by doubling.
  class Stack {
   public:
    void clear() { size_ = 0; }
    bool empty() const { return size_ == 0; }
    char back() const { return bytes_[size_ - 1]; }
    void pop_back() { --size_; }
    void push_back(char c) {
      // The first 15 bytes are the string's own (no allocation for shallow values).
      if (size_ == bytes_.size()) bytes_.resize(std::max<std::size_t>(15, bytes_.size() * 2));
      bytes_[size_++] = c;
    }

   private:
    std::string bytes_;
    std::size_t size_ = 0;
  };

  const char* begin_;
  const char* p_;
  const char* end_;
  Stack open_;
};

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::uint32_t hex_at(std::string_view s, std::size_t i) {
  std::uint32_t v = 0;
  for (std::size_t k = i; k < i + 4; ++k) {
    char c = s[k];
    v = v * 16 + static_cast<std::uint32_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  }
  return v;
}

}  // namespace

std::string decode_json_string(std::string_view literal) {
  std::string_view s = literal.substr(1, literal.size() - 2);
  if (s.find('\\') == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out.push_back(s[i]);
      continue;
    }
    char c = s[++i];
    switch (c) {
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        std::uint32_t cp = hex_at(s, i + 1);
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          std::uint32_t low = hex_at(s, i + 3);
          i += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(out, cp);
        break;
      }
      default:
        out.push_back(c);
        break;  // " \ /
    }
  }
  return out;
}

JsonScan scan_json(std::string_view text, const std::vector<std::string_view>& keys) {
  JsonScan out;
  Scanner s(text);
  s.skip_bom();
  s.skip_space();
  if (s.peek() != '{') {
    out.valid = s.read_value() && (s.skip_space(), s.done());
    return out;
  }
  out.object = true;
  out.open_at = s.at();
  s.eat('{');
  s.skip_space();
  if (!s.eat('}')) {
    for (;;) {
      s.skip_space();
      std::size_t key_at = s.at();
      bool escaped = false;
      if (!s.read_string(escaped)) return out;
      std::string_view literal = text.substr(key_at, s.at() - key_at);
      s.skip_space();
      if (!s.eat(':')) return out;
      s.skip_space();
      std::size_t value_at = s.at();
      if (!s.read_value()) return out;
      std::string_view key = literal.substr(1, literal.size() - 2);
      std::string decoded;
      if (escaped) {
        decoded = decode_json_string(literal);
        key = decoded;
      }
      if (keys.empty()) {
        if (escaped) key = out.decoded.emplace_front(std::move(decoded));
        out.members.push_back({key, value_at, text.substr(value_at, s.at() - value_at)});
      } else {
        // Sizes and first bytes first: most keys are none of the few asked for.
        auto asked = [&](std::string_view k) {
          return k.size() == key.size() && (k.empty() || k[0] == key[0]) && k == key;
        };
        if (auto it = std::find_if(keys.begin(), keys.end(), asked); it != keys.end()) {
          out.members.push_back({*it, value_at, text.substr(value_at, s.at() - value_at)});
        }
      }
      s.skip_space();
      if (s.eat('}')) break;
      if (!s.eat(',')) return out;
    }
  }
  s.skip_space();
  out.valid = s.done();
  return out;
}

std::size_t plain_prefix(std::string_view text) {
  return static_cast<std::size_t>(skip_plain(text.data(), text.data() + text.size()) - text.data());
}

const JsonMember* last_member(const JsonScan& scan, std::string_view key) {
  for (auto it = scan.members.rbegin(); it != scan.members.rend(); ++it) {
    if (it->key == key) return &*it;
  }
  return nullptr;
}

void append_json_string(std::string& out, std::string_view value) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default:
        if (u < 0x20) {
          out.append("\\u00").push_back(hex[u >> 4]);
          out.push_back(hex[u & 0xF]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

}  // namespace gwd::detail
