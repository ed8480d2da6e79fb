#include "gwctl/secret_scan.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "gwctl/secrets.hpp"

// How the scan stays fast: one pass splits the text into runs of token characters; only runs
// of 20 bytes or more are looked at, and a run is matched (with RE2, anchored to the whole
// token) only against the formats whose literal prefix it starts with. PEM headers, URLs and
// Slack webhooks are found with plain substring search first. The patterns are written from
// the vendors' documented key formats.

namespace gwctl {

namespace {

constexpr std::size_t npos = std::string_view::npos;

// Character classes.
enum : std::uint8_t {
  c_word = 1,   // [A-Za-z0-9_-]: the characters of a token
  c_b64 = 2,    // [A-Za-z0-9_-+/=]: base64 (standard or url-safe)
  c_wide = 4,   // base64 and '.': a JWT, a dotted host
  c_key = 8,    // [A-Za-z0-9_.-]: a YAML key a secret may sit under
  c_alnum = 16  // [A-Za-z0-9]
};

struct Classes {
  std::array<std::uint8_t, 256> of{};
  Classes() {
    for (int c = 0; c < 256; ++c) {
      bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      std::uint8_t v = 0;
      if (alnum || c == '_' || c == '-') v |= c_word | c_b64 | c_wide | c_key;
      if (c == '+' || c == '/' || c == '=') v |= c_b64 | c_wide;
      if (c == '.') v |= c_wide | c_key;
      if (alnum) v |= c_alnum;
      of[static_cast<std::size_t>(c)] = v;
    }
  }
  bool is(char c, std::uint8_t cls) const { return (of[static_cast<unsigned char>(c)] & cls) != 0; }
};

const Classes& classes() {
  static const Classes table;
  return table;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool contains_ci(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && lower(hay[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

double entropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<std::uint32_t, 256> count{};
  for (char c : s) ++count[static_cast<unsigned char>(c)];
  double h = 0, n = static_cast<double>(s.size());
  for (auto k : count) {
    if (k == 0) continue;
    double p = k / n;
    h -= p * std::log2(p);
  }
  return h;
}

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

// Lower, upper, digit, other.
int char_classes(std::string_view s) {
  bool lo = false, up = false, di = false, ot = false;
  for (char c : s) {
    if (c >= 'a' && c <= 'z')
      lo = true;
    else if (c >= 'A' && c <= 'Z')
      up = true;
    else if (c >= '0' && c <= '9')
      di = true;
    else
      ot = true;
  }
  return int(lo) + int(up) + int(di) + int(ot);
}

bool has_digit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Words and shapes that mark a made-up value: `sk-xxxx…`, `<your-key>`, `changeme`, runs of one
// character, a short unit repeated, vendor documentation examples.
bool is_placeholder(std::string_view body) {
  static constexpr std::string_view words[] = {
      "xxxx",       "****",    "....",     "<",       ">",      "your",   "example", "dummy",       "placeholder",
      "change",     "replace", "redacted", "fake",    "sample", "insert", "todo",    "notreal",     "not-a-real",
      "not_a_real", "0000000", "1234567",  "abcdefg", "${",     "{{",     "test",    "secret-here", "here"};
  for (auto w : words) {
    if (contains_ci(body, w)) return true;
  }
  std::size_t run = 1;
  for (std::size_t i = 1; i < body.size(); ++i) {
    run = body[i] == body[i - 1] ? run + 1 : 1;
    if (run >= 5) return true;
  }
  std::array<bool, 256> seen{};
  std::size_t distinct = 0;
  for (char c : body) {
    auto& s = seen[static_cast<unsigned char>(c)];
    if (!s) ++distinct;
    s = true;
  }
  if (distinct < std::min<std::size_t>(10, body.size() / 3)) return true;
  for (std::size_t period = 1; period <= 4 && period * 3 <= body.size(); ++period) {
    bool periodic = true;
    for (std::size_t i = period; i < body.size() && periodic; ++i) periodic = body[i] == body[i - period];
    if (periodic) return true;
  }
  return false;
}

// A format with a literal prefix, matched against a whole token.
struct Format {
  std::string_view prefix;
  const char* pattern;
  const char* rule;
  const char* provider;
  const char* kind;
  Severity severity = Severity::error;
  const char* context = nullptr;  // the provider word that must be near, if any
};

const std::vector<Format>& formats() {
  static const std::vector<Format> all = {
      // GW301: LLM providers.
      {"sk-ant-api03-", "sk-ant-api03-[A-Za-z0-9_-]{32,}", "GW301", "Anthropic", "API key"},
      {"sk-ant-admin01-", "sk-ant-admin01-[A-Za-z0-9_-]{32,}", "GW301", "Anthropic", "admin API key"},
      {"sk-ant-", "sk-ant-[a-z]{2,10}[0-9]{2}-[A-Za-z0-9_-]{32,}", "GW301", "Anthropic", "key"},
      {"sk-proj-", "sk-proj-[A-Za-z0-9_-]{20,}", "GW301", "OpenAI", "project API key"},
      {"sk-svcacct-", "sk-svcacct-[A-Za-z0-9_-]{20,}", "GW301", "OpenAI", "service account key"},
      {"sk-admin-", "sk-admin-[A-Za-z0-9_-]{20,}", "GW301", "OpenAI", "admin key"},
      {"sk-or-v1-", "sk-or-v1-[0-9a-f]{64}", "GW301", "OpenRouter", "API key"},
      {"sk-lf-", "sk-lf-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "GW301", "Langfuse",
       "secret key"},
      {"sk-", "sk-[0-9a-f]{32}", "GW301", "DeepSeek", "API key", Severity::error, "deepseek"},
      {"sk-", "sk-[0-9a-f]{32}", "GW301", "OpenAI-compatible provider", "API key"},
      {"sk-", "sk-[A-Za-z0-9]{48}", "GW301", "OpenAI", "API key"},
      {"sk-", "sk-[A-Za-z0-9_-]*T3BlbkFJ[A-Za-z0-9_-]*", "GW301", "OpenAI", "API key"},
      {"AIza", "AIza[0-9A-Za-z_-]{35}", "GW301", "Google", "API key (Gemini)"},
      {"gsk_", "gsk_[A-Za-z0-9]{40,64}", "GW301", "Groq", "API key"},
      {"xai-", "xai-[A-Za-z0-9]{40,100}", "GW301", "xAI", "API key"},
      {"pplx-", "pplx-[A-Za-z0-9]{32,64}", "GW301", "Perplexity", "API key"},
      {"hf_", "hf_[A-Za-z0-9]{30,40}", "GW301", "Hugging Face", "access token"},
      {"r8_", "r8_[A-Za-z0-9]{30,40}", "GW301", "Replicate", "API token"},
      {"lsv2_pt_", "lsv2_pt_[0-9a-f]{32}_[0-9a-f]{10}", "GW301", "LangSmith", "personal access token"},
      {"lsv2_sk_", "lsv2_sk_[0-9a-f]{32}_[0-9a-f]{10}", "GW301", "LangSmith", "service key"},
      // GW302: cloud, VCS and SaaS tokens.
      {"AKIA", "AKIA[A-Z2-7]{16}", "GW302", "AWS", "access key id"},
      {"ASIA", "ASIA[A-Z2-7]{16}", "GW302", "AWS", "temporary access key id"},
      {"ghp_", "ghp_[A-Za-z0-9]{36,251}", "GW302", "GitHub", "personal access token"},
      {"gho_", "gho_[A-Za-z0-9]{36,251}", "GW302", "GitHub", "OAuth access token"},
      {"ghu_", "ghu_[A-Za-z0-9]{36,251}", "GW302", "GitHub", "user-to-server token"},
      {"ghs_", "ghs_[A-Za-z0-9]{36,251}", "GW302", "GitHub", "server-to-server token"},
      {"ghr_", "ghr_[A-Za-z0-9]{36,251}", "GW302", "GitHub", "refresh token"},
      {"github_pat_", "github_pat_[A-Za-z0-9_]{50,}", "GW302", "GitHub", "fine-grained personal access token"},
      {"glpat-", "glpat-[A-Za-z0-9_-]{20,}", "GW302", "GitLab", "personal access token"},
      {"gldt-", "gldt-[A-Za-z0-9_-]{20,}", "GW302", "GitLab", "deploy token"},
      {"glrt-", "glrt-[A-Za-z0-9_-]{20,}", "GW302", "GitLab", "runner token"},
      {"glcbt-", "glcbt-[A-Za-z0-9_-]{20,}", "GW302", "GitLab", "CI/CD job token"},
      {"glptt-", "glptt-[A-Za-z0-9_-]{20,}", "GW302", "GitLab", "pipeline trigger token"},
      {"glft-", "glft-[A-Za-z0-9_-]{20,}", "GW302", "GitLab", "feed token"},
      {"glimt-", "glimt-[A-Za-z0-9_-]{20,}", "GW302", "GitLab", "incoming mail token"},
      {"glagent-", "glagent-[A-Za-z0-9_-]{20,}", "GW302", "GitLab", "agent token"},
      {"glsoat-", "glsoat-[A-Za-z0-9_-]{20,}", "GW302", "GitLab", "SCIM token"},
      {"gloas-", "gloas-[A-Za-z0-9_-]{20,}", "GW302", "GitLab", "OAuth application secret"},
      {"glffct-", "glffct-[A-Za-z0-9_-]{20,}", "GW302", "GitLab", "feature flag client token"},
      {"xoxb-", "xoxb-[0-9A-Za-z-]{20,}", "GW302", "Slack", "bot token"},
      {"xoxp-", "xoxp-[0-9A-Za-z-]{20,}", "GW302", "Slack", "user token"},
      {"xoxa-", "xoxa-[0-9A-Za-z-]{20,}", "GW302", "Slack", "workspace token"},
      {"xoxr-", "xoxr-[0-9A-Za-z-]{20,}", "GW302", "Slack", "refresh token"},
      {"xoxs-", "xoxs-[0-9A-Za-z-]{20,}", "GW302", "Slack", "session token"},
      {"xapp-", "xapp-[0-9]-[0-9A-Za-z-]{20,}", "GW302", "Slack", "app-level token"},
      {"sk_live_", "sk_live_[A-Za-z0-9]{20,}", "GW302", "Stripe", "live secret key"},
      {"rk_live_", "rk_live_[A-Za-z0-9]{20,}", "GW302", "Stripe", "live restricted key"},
      {"sk_test_", "sk_test_[A-Za-z0-9]{20,}", "GW302", "Stripe", "test secret key", Severity::warning},
      {"rk_test_", "rk_test_[A-Za-z0-9]{20,}", "GW302", "Stripe", "test restricted key", Severity::warning},
  };
  return all;
}

// Formats by the first character of their prefix, each with its compiled pattern.
struct FormatIndex {
  std::array<std::vector<std::size_t>, 256> by_first;
  std::vector<std::unique_ptr<RE2>> patterns;
  FormatIndex() {
    const auto& all = formats();
    for (std::size_t i = 0; i < all.size(); ++i) {
      by_first[static_cast<unsigned char>(all[i].prefix[0])].push_back(i);
      RE2::Options opts;
      opts.set_log_errors(false);
      patterns.push_back(std::make_unique<RE2>(all[i].pattern, opts));
    }
  }
};

const FormatIndex& format_index() {
  static const FormatIndex index;
  return index;
}

bool full_match(std::string_view s, const RE2& re) {
  return RE2::FullMatch(re2::StringPiece(s.data(), s.size()), re);
}

// Base64 (either alphabet) to bytes; empty when `s` is not base64.
std::string base64_decode(std::string_view s) {
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  if (s.size() % 4 == 1) return {};
  std::string out;
  out.reserve(s.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else
      return {};
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

bool mostly_printable(std::string_view s) {
  if (s.empty()) return false;
  std::size_t good = 0;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == 0) return false;
    if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t') ++good;
  }
  return good * 100 >= s.size() * 95;
}

// Where a folded value was joined: from `joined` on, the joined text is `removed` bytes behind
// the raw text.
struct Join {
  std::size_t joined = 0;
  std::size_t removed = 0;
};

// A hit while scanning, in the coordinates of the scanned text.
struct Raw {
  SecretHit hit;
  std::size_t end = 0;    // where the secret ends
  std::size_t cover = 0;  // what it makes uninteresting to other detectors (a PEM body)
  int rank = 0;           // lower is more specific: it wins an overlap
};

class Scanner {
 public:
  Scanner(std::string_view text, bool nested) : t_(text), nested_(nested) {}

  std::vector<Raw> run() {
    pem();
    slack_webhooks();
    urls();
    tokens();
    generic();
    std::vector<Raw> kept = dedupe(std::move(found_));
    if (!nested_) decode_candidates(kept);
    std::sort(kept.begin(), kept.end(), [](const Raw& a, const Raw& b) { return a.hit.offset < b.hit.offset; });
    return kept;
  }

 private:
  void add(std::size_t at, std::size_t end, const char* rule, std::string provider, std::string kind, std::string shown,
           int rank, Severity sev = Severity::error, std::size_t cover = 0) {
    Raw r;
    r.hit.rule = rule;
    r.hit.severity = sev;
    r.hit.provider = std::move(provider);
    r.hit.kind = std::move(kind);
    r.hit.shown = std::move(shown);
    r.hit.offset = at;
    r.hit.length = end - at;
    r.end = end;
    r.cover = std::max(cover, end);
    r.rank = rank;
    found_.push_back(std::move(r));
  }

  // The start of the line holding `at`, looking back at most `reach` bytes (long lines cost
  // nothing more than short ones).
  std::size_t line_start(std::size_t at) const {
    constexpr std::size_t reach = 4096;
    std::size_t floor = at > reach ? at - reach : 0;
    for (std::size_t i = at; i > floor; --i) {
      if (t_[i - 1] == '\n') return i;
    }
    return floor;
  }

  // Whether `word` appears (case-insensitively) in the dozen lines up to the line after `at`.
  bool near(std::size_t at, std::string_view word) const {
    constexpr std::size_t reach = 2048;
    std::size_t from = line_start(at);
    for (int i = 0; i < 12 && from > 0 && at - from < reach; ++i) from = line_start(from - 1);
    from = std::max(from, at > reach ? at - reach : 0);
    std::size_t to = std::min(t_.size(), at + 512);
    for (int lines = 0; to < t_.size() && lines < 2;) lines += t_[to++] == '\n';
    std::string_view window = t_.substr(from, to - from);
    if (word != "aws") return contains_ci(window, word);
    for (std::size_t i = 0; i + 3 <= window.size(); ++i) {  // "aws" as a word, not in "laws"
      if (lower(window[i]) == 'a' && lower(window[i + 1]) == 'w' && lower(window[i + 2]) == 's' &&
          (i == 0 || !std::isalpha(static_cast<unsigned char>(window[i - 1])))) {
        return true;
      }
    }
    return false;
  }

  // -----BEGIN … PRIVATE KEY----- followed by a real base64 body.
  void pem() {
    for (std::size_t at = t_.find("-----BEGIN "); at != npos; at = t_.find("-----BEGIN ", at + 1)) {
      std::size_t label_from = at + 11;
      std::size_t label_end = t_.substr(0, std::min(t_.size(), label_from + 64)).find("-----", label_from);
      if (label_end == npos || label_end - label_from > 40) continue;
      std::string_view label = t_.substr(label_from, label_end - label_from);
      if (label.find("PRIVATE KEY") == npos) continue;
      std::size_t header_end = label_end + 5;
      std::size_t limit = std::min(t_.size(), header_end + 65536);
      std::size_t stop = t_.substr(0, limit).find("-----END", header_end);
      if (stop == npos || stop > limit) stop = limit;
      std::size_t body = 0;
      std::array<bool, 256> seen{};
      std::size_t distinct = 0;
      for (std::size_t i = header_end; i < stop; ++i) {
        char c = t_[i];
        if (cls_.is(c, c_alnum) || c == '+' || c == '/') {
          ++body;
          if (!seen[static_cast<unsigned char>(c)]) ++distinct;
          seen[static_cast<unsigned char>(c)] = true;
        }
      }
      if (body < 64 || distinct < 20) continue;  // "-----BEGIN PRIVATE KEY-----\n...": documentation
      std::string kind = label == "PRIVATE KEY" ? "PKCS#8 private key"
                         : label == "ENCRYPTED PRIVATE KEY"
                             ? "encrypted PKCS#8 private key"
                             : fmt::format("{} private key", label.substr(0, label.size() - 12));
      if (label.ends_with("PRIVATE KEY BLOCK")) kind = std::string(label);
      std::size_t cover_end = t_.substr(0, std::min(t_.size(), stop + 64)).find("-----", stop + 1);
      cover_end = cover_end == npos ? stop : cover_end + 5;
      add(at, header_end, "GW303", "PEM", kind, fmt::format("-----BEGIN {}-----", label), 0, Severity::error,
          cover_end);
    }
  }

  void slack_webhooks() {
    static const RE2 re("hooks\\.slack\\.com/(services|workflows|triggers)/([A-Za-z0-9/]+)");
    static constexpr std::string_view host = "hooks.slack.com/";
    for (std::size_t at = t_.find(host); at != npos; at = t_.find(host, at + 1)) {
      re2::StringPiece input(t_.data() + at, std::min<std::size_t>(t_.size() - at, 400));
      re2::StringPiece kind, path;
      if (!RE2::Consume(&input, re, &kind, &path)) continue;
      std::string_view p(path.data(), path.size());
      std::size_t last = p.rfind('/');
      std::string_view secret = last == npos ? p : p.substr(last + 1);
      if (secret.size() < 16 || is_placeholder(secret) || is_placeholder(p)) continue;
      std::size_t end = static_cast<std::size_t>(path.data() - t_.data()) + p.size();
      std::size_t from = static_cast<std::size_t>(path.data() - t_.data());
      add(from, end, "GW302", "Slack", "incoming webhook URL",
          fmt::format("https://hooks.slack.com/{}/", std::string(kind.data(), kind.size())), 0);
    }
  }

  // scheme://user:password@host
  void urls() {
    for (std::size_t at = t_.find("://"); at != npos; at = t_.find("://", at + 3)) {
      std::size_t s = at;
      while (s > 0 && at - s < 32 &&
             (std::isalnum(static_cast<unsigned char>(t_[s - 1])) || t_[s - 1] == '+' || t_[s - 1] == '.' ||
              t_[s - 1] == '-')) {
        --s;
      }
      if (s == at || !std::isalpha(static_cast<unsigned char>(t_[s]))) continue;
      std::string_view scheme = t_.substr(s, at - s);
      std::size_t auth = at + 3;
      std::size_t auth_end = auth;
      while (auth_end < t_.size() && auth_end - auth < 512) {
        char c = t_[auth_end];
        if (c == '/' || c == '?' || c == '#' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' ||
            c == '\'' || c == '<' || c == '>' || c == '`') {
          break;
        }
        ++auth_end;
      }
      std::string_view authority = t_.substr(auth, auth_end - auth);
      std::size_t atsign = authority.rfind('@');
      if (atsign == npos) continue;
      std::string_view userinfo = authority.substr(0, atsign);
      std::size_t colon = userinfo.find(':');
      if (colon == npos) continue;
      std::string_view user = userinfo.substr(0, colon);
      std::string_view password = userinfo.substr(colon + 1);
      if (password.empty() || password.find("${") != npos || password.starts_with("$") || password.starts_with("%(") ||
          user.find("${") != npos) {
        continue;
      }
      std::string decoded;
      for (std::size_t i = 0; i < password.size(); ++i) {
        if (password[i] == '%' && i + 2 < password.size() && is_hex(password.substr(i + 1, 2))) {
          decoded += static_cast<char>(std::stoi(std::string(password.substr(i + 1, 2)), nullptr, 16));
          i += 2;
        } else {
          decoded += password[i];
        }
      }
      if (decoded.size() < 4 || decoded.find("${") != npos || decoded.starts_with("$") || is_placeholder(decoded) ||
          contains_ci(decoded, "pass") || contains_ci(decoded, "secret") || contains_ci(decoded, "pwd")) {
        continue;
      }
      std::size_t from = auth + colon + 1;
      add(from, from + password.size(), "GW305", std::string(scheme), "URL password", fmt::format("{}://", scheme), 2);
    }
  }

  void tokens() {
    const std::size_t n = t_.size();
    std::size_t i = 0;
    while (i < n) {
      while (i < n && !cls_.is(t_[i], c_wide)) ++i;
      std::size_t b = i;
      while (i < n && cls_.is(t_[i], c_wide)) ++i;
      if (i - b >= 20) wide_run(b, i);
    }
  }

  void wide_run(std::size_t b, std::size_t e) {
    std::string_view run = t_.substr(b, e - b);
    for (std::size_t j = run.find("eyJ"); j != npos; j = run.find("eyJ", j + 1)) {
      if (j == 0 || !cls_.is(run[j - 1], c_word)) jwt(b + j, e);
    }
    std::size_t i = b;
    while (i < e) {
      while (i < e && t_[i] == '.') ++i;
      std::size_t rb = i;
      while (i < e && t_[i] != '.') ++i;
      if (i - rb >= 20) b64_run(rb, i);
    }
  }

  void jwt(std::size_t at, std::size_t e) {
    std::size_t dots[2];
    std::size_t k = 0, i = at;
    for (; i < e && k < 2; ++i) {
      if (t_[i] == '.') {
        dots[k++] = i;
      } else if (!cls_.is(t_[i], c_word)) {
        return;
      }
    }
    if (k < 2) return;
    std::size_t end = dots[1] + 1;
    while (end < e && cls_.is(t_[end], c_word)) ++end;
    std::string_view header = t_.substr(at, dots[0] - at);
    std::string_view payload = t_.substr(dots[0] + 1, dots[1] - dots[0] - 1);
    std::string_view signature = t_.substr(dots[1] + 1, end - dots[1] - 1);
    if (header.size() < 10 || payload.size() < 10 || signature.size() < 16) return;
    std::string h = base64_decode(header);
    if (h.empty() || h.front() != '{' || h.find("\"alg\"") == npos) return;
    std::string p = base64_decode(payload);
    if (p.find("John Doe") != npos && p.find("1234567890") != npos) return;  // jwt.io's sample
    if (is_placeholder(signature)) return;
    add(at, end, "GW304", "JWT", "JSON Web Token", "eyJ", 1);
  }

  void b64_run(std::size_t b, std::size_t e) {
    std::string_view run = t_.substr(b, e - b);
    if ((run.starts_with("ABSK") && run.size() >= 44) || (run.starts_with("bedrock-api-key-") && run.size() >= 56)) {
      std::string_view body = run.substr(run.starts_with("ABSK") ? 4 : 16);
      if (!is_placeholder(body) && entropy(body) >= 3.5) {
        add(b, e, "GW301", "AWS Bedrock", "API key", std::string(run.substr(0, run.starts_with("ABSK") ? 4 : 16)), 0);
        return;
      }
    }
    if (run.size() == 40 && run.find_first_of("-_=") == npos && !is_hex(run) && char_classes(run) >= 3 &&
        !is_placeholder(run) && entropy(run) >= 4.0 && (near(b, "aws") || near(b, "secret_access_key"))) {
      add(b, e, "GW302", "AWS", "secret access key", "", 1);
      return;
    }
    std::size_t i = b;
    while (i < e) {
      while (i < e && !cls_.is(t_[i], c_word)) ++i;
      std::size_t tb = i;
      while (i < e && cls_.is(t_[i], c_word)) ++i;
      if (i - tb >= 20) word(tb, i);
    }
    if (!nested_ && run.size() >= 24) candidates_.push_back({b, e});
  }

  void word(std::size_t b, std::size_t e) {
    std::string_view tok = t_.substr(b, e - b);
    const auto& index = format_index();
    const auto& all = formats();
    for (std::size_t f : index.by_first[static_cast<unsigned char>(tok[0])]) {
      const Format& fmt = all[f];
      if (!tok.starts_with(fmt.prefix)) continue;
      if (!full_match(tok, *index.patterns[f])) continue;
      if (fmt.context && !near(b, fmt.context)) continue;
      std::string_view body = tok.substr(fmt.prefix.size());
      if (is_placeholder(body) || entropy(body) < (is_hex(body) ? 2.8 : 3.0)) return;
      add(b, e, fmt.rule, fmt.provider, fmt.kind, std::string(fmt.prefix), 0, fmt.severity);
      return;
    }
    // Formats without a prefix, recognised only near their provider's name.
    if (tok.size() != 32 && tok.size() != 40) return;
    if (tok.find_first_of("-_") != npos || is_placeholder(tok)) return;
    if (tok.size() == 32 && is_hex(tok)) {
      if (entropy(tok) >= 3.0 && near(b, "azure")) add(b, e, "GW301", "Azure OpenAI", "API key", "", 1);
      return;
    }
    if (char_classes(tok) < 3 || entropy(tok) < 3.8) return;
    if (tok.size() == 32 && near(b, "mistral")) add(b, e, "GW301", "Mistral", "API key", "", 1);
    if (tok.size() == 40 && near(b, "cohere")) add(b, e, "GW301", "Cohere", "API key", "", 1);
  }

  // `key: value`, `key = value`, `"key": "value"` with a secret-named key.
  void generic() {
    const std::size_t n = t_.size();
    for (std::size_t p = 0; p < n; ++p) {
      char sep = t_[p];
      if (sep != ':' && sep != '=') continue;
      if (sep == ':' && p + 1 < n &&
          !(t_[p + 1] == ' ' || t_[p + 1] == '\t' || t_[p + 1] == '\n' || t_[p + 1] == '\r' || t_[p + 1] == '"' ||
            t_[p + 1] == '\'')) {
        continue;
      }
      if (sep == '=' &&
          ((p + 1 < n && t_[p + 1] == '=') || (p > 0 && std::string_view("=!<>").find(t_[p - 1]) != npos))) {
        continue;
      }
      std::size_t e = p;
      while (e > 0 && t_[e - 1] == ' ') --e;
      if (e > 0 && (t_[e - 1] == '"' || t_[e - 1] == '\'')) --e;
      std::size_t b = e;
      while (b > 0 && e - b < 64 && cls_.is(t_[b - 1], c_key)) --b;
      if (b == e || e - b >= 64) continue;
      if (b >= 2 && t_[b - 1] == '{' && t_[b - 2] == '$') continue;  // ${secret:NAME}
      std::string_view key = t_.substr(b, e - b);
      if (!secret_named(key)) continue;
      value_of(key, p + 1);
    }
  }

  // looks_like_secret_key, and also a bare `key`, `pwd` and `passphrase`; most keys are ruled
  // out by a look for the words first.
  static bool secret_named(std::string_view key) {
    std::string k;
    k.reserve(key.size());
    for (char c : key) k += lower(c);
    static constexpr std::string_view words[] = {"key", "secret", "token", "passw", "pwd", "credential", "passphrase"};
    if (std::none_of(std::begin(words), std::end(words), [&](std::string_view w) { return k.find(w) != npos; })) {
      return false;
    }
    bool named = looks_like_secret_key(key) || k == "key" || k.find("pwd") != npos || k.find("passphrase") != npos;
    if (!named) return false;
    static constexpr std::string_view not_secret[] = {"public",    "pubkey", "cert",      "hash",
                                                      "digest",    "sha",    "checksum",  "fingerprint",
                                                      "max_token", "tokens", "keys_from", "key_by"};
    for (auto w : not_secret) {
      if (k.find(w) != npos) return false;
    }
    static constexpr std::string_view suffixes[] = {
        "_id",   "_ids",   "-id",    "_name", "_names",   "_ref",    "_env",    "_header", "_url",
        "_uri",  "_file",  "_path",  "_type", "_field",   "_param",  "_prefix", "_length", "_len",
        "_size", "_count", "_limit", "_ttl",  "_version", "_format", "_store",  "_source", "_mode"};
    for (auto s : suffixes) {
      if (k.ends_with(s)) return false;
    }
    return true;
  }

  void value_of(std::string_view key, std::size_t v) {
    const std::size_t n = t_.size();
    while (v < n && (t_[v] == ' ' || t_[v] == '\t')) ++v;
    if (v < n && (t_[v] == '|' || t_[v] == '>')) {  // block scalar: its first line
      std::size_t nl = t_.find('\n', v);
      if (nl == npos || t_.substr(v, nl - v).find_first_not_of("|>-+0123456789 \t\r") != npos) return;
      v = nl;
    }
    if (v < n && (t_[v] == '\n' || t_[v] == '\r')) {  // the value on the next line, if it is a bare scalar
      while (v < n && (t_[v] == '\n' || t_[v] == '\r' || t_[v] == ' ' || t_[v] == '\t')) ++v;
      std::size_t nl = t_.find('\n', v);
      std::string_view line = t_.substr(v, (nl == npos ? n : nl) - v);
      if (line.find(": ") != npos || line.ends_with(":") || line.starts_with("- ") || line.starts_with("#")) return;
    }
    if (v >= n) return;
    std::size_t from = v, to;
    if (t_[v] == '"' || t_[v] == '\'') {
      from = v + 1;
      to = from;
      while (to < n && t_[to] != t_[v] && t_[to] != '\n') to += t_[to] == '\\' && t_[v] == '"' ? 2 : 1;
      to = std::min(to, n);
    } else {
      // In a flow collection or an env line a value ends at , } ]; a block value at the line's end.
      std::size_t ls = std::max(line_start(v), v > 256 ? v - 256 : 0);
      bool flow = t_.substr(ls, v - ls).find_first_of("{[") != npos;
      to = v;
      while (to < n && t_[to] != '\n' && t_[to] != '\r' &&
             !(flow && (t_[to] == ',' || t_[to] == '}' || t_[to] == ']')) &&
             !((t_[to] == ' ' || t_[to] == '\t') && to + 1 < n && t_[to + 1] == '#')) {
        ++to;
      }
      while (to > from && (t_[to - 1] == ' ' || t_[to - 1] == '\t')) --to;
    }
    std::string_view value = t_.substr(from, to - from);
    if (!high_entropy_secret(key, value)) return;
    add(from, to, "GW306", std::string(key), "high-entropy literal", "", 4);
  }

  static bool high_entropy_secret(std::string_view key, std::string_view value) {
    if (value.empty() || value.size() > 4096) return false;
    if (value.find_first_of(" \t") != npos) return false;
    if (value.starts_with("$") || value.starts_with("{{") || value.starts_with("ENC[") || value.starts_with("vault:") ||
        value.starts_with("arn:") || value.starts_with("sha") || value.starts_with("&") || value.starts_with("*") ||
        value.starts_with("!") || value.starts_with("/") || value.starts_with("./") || value.find("://") != npos ||
        is_secret_reference(value)) {
      return false;
    }
    if (is_placeholder(value)) return false;
    static const RE2 uuid("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    if (full_match(value, uuid)) return false;
    // A name or model id: lower-case words and numbers joined by - _ . :, none of them long.
    static const RE2 slug("[a-z0-9]{1,12}([-_.:/@][a-z0-9]{1,12})+");
    if (full_match(value, slug)) return false;
    std::string k;
    for (char c : key) k += lower(c);
    double h = entropy(value);
    if (k.find("pass") != npos || k.find("pwd") != npos) {
      return value.size() >= 8 && char_classes(value) >= 3 && h >= 2.5;
    }
    if (is_hex(value)) return value.size() >= 32 && h >= 3.0;
    if (value.size() < 16 || !has_digit(value) || char_classes(value) < 2) return false;
    double threshold = std::min(3.5, std::log2(static_cast<double>(value.size())) - 0.6);
    return h >= threshold;
  }

  // Whether [from, to) overlaps an interval of `taken` (disjoint intervals by start).
  static bool overlaps(const std::map<std::size_t, std::size_t>& taken, std::size_t from, std::size_t to) {
    auto it = taken.lower_bound(from);
    if (it != taken.end() && it->first < to) return true;
    return it != taken.begin() && std::prev(it)->second > from;
  }

  // The most specific hit wins where hits overlap.
  std::vector<Raw> dedupe(std::vector<Raw> all) {
    std::stable_sort(all.begin(), all.end(), [](const Raw& a, const Raw& b) {
      return a.rank != b.rank ? a.rank < b.rank : a.hit.offset < b.hit.offset;
    });
    std::vector<Raw> kept;
    for (auto& r : all) {
      if (overlaps(taken_, r.hit.offset, r.cover)) continue;
      taken_.emplace(r.hit.offset, r.cover);
      kept.push_back(std::move(r));
    }
    return kept;
  }

  // Base64 tokens no other hit touches, decoded and scanned once.
  void decode_candidates(std::vector<Raw>& kept) {
    for (const auto& [b, e] : candidates_) {
      if (e - b > 65536) continue;
      if (overlaps(taken_, b, e)) continue;
      std::string decoded = base64_decode(t_.substr(b, e - b));
      if (decoded.size() < 16 || !mostly_printable(decoded)) continue;
      Scanner inner(decoded, true);
      std::vector<Raw> inside = inner.run();
      if (inside.empty()) continue;
      Raw r = std::move(inside.front());
      r.hit.offset = b;
      r.hit.length = e - b;
      r.hit.encoded = true;
      r.end = r.cover = e;
      r.rank = 3;
      kept.push_back(std::move(r));
    }
  }

  std::string_view t_;
  bool nested_;
  const Classes& cls_ = classes();
  std::vector<Raw> found_;
  std::vector<std::pair<std::size_t, std::size_t>> candidates_;
  std::map<std::size_t, std::size_t> taken_;  // what the kept hits cover
};

// Lines that continue a token: a line ending in 8 or more token characters (or a '\' escape
// of a double-quoted scalar) followed by an indented line that is nothing but token characters
// (and maybe a closing quote). Such values are read joined.
std::vector<Join> find_joins(std::string_view t, std::string& joined) {
  std::vector<Join> joins;
  const auto& cls = classes();
  std::size_t removed = 0;
  std::size_t copied = 0;
  for (std::size_t nl = t.find('\n'); nl != npos; nl = t.find('\n', nl + 1)) {
    std::size_t end = nl;
    if (end > 0 && t[end - 1] == '\r') --end;
    std::size_t tail = end;
    if (tail > 0 && t[tail - 1] == '\\') --tail;
    std::size_t tb = tail;
    while (tb > 0 && cls.is(t[tb - 1], c_b64)) --tb;
    if (tail - tb < 8) continue;
    std::size_t next = nl + 1;
    std::size_t frag = next;
    while (frag < t.size() && (t[frag] == ' ' || t[frag] == '\t')) ++frag;
    if (frag == next) continue;  // a continuation is indented
    std::size_t fe = frag;
    while (fe < t.size() && cls.is(t[fe], c_wide)) ++fe;
    if (fe - frag < 4) continue;
    std::size_t rest = fe;
    if (rest < t.size() && (t[rest] == '"' || t[rest] == '\'' || t[rest] == '\\')) ++rest;
    while (rest < t.size() && (t[rest] == ' ' || t[rest] == '\t' || t[rest] == '\r')) ++rest;
    if (rest < t.size() && t[rest] != '\n') continue;
    joined.append(t.substr(copied, tail - copied));
    copied = frag;
    removed += frag - tail;
    joins.push_back({joined.size(), removed});
  }
  if (joins.empty()) return joins;
  joined.append(t.substr(copied));
  return joins;
}

}  // namespace

std::vector<SecretHit> scan_secrets(std::string_view text) {
  std::string joined;
  std::vector<Join> joins = find_joins(text, joined);
  std::string_view scanned = joins.empty() ? text : std::string_view(joined);
  std::vector<Raw> raws = Scanner(scanned, false).run();
  auto to_raw = [&](std::size_t j) {
    auto it =
        std::upper_bound(joins.begin(), joins.end(), j, [](std::size_t x, const Join& jn) { return x < jn.joined; });
    return it == joins.begin() ? j : j + std::prev(it)->removed;
  };
  std::vector<SecretHit> out;
  out.reserve(raws.size());
  for (auto& r : raws) {
    SecretHit h = std::move(r.hit);
    std::size_t start = to_raw(h.offset);
    std::size_t end = to_raw(h.offset + h.length - 1) + 1;
    std::size_t nl = text.find('\n', start);
    if (nl != npos && nl < end) {
      h.folded = true;
      end = nl;
      while (end > start && (text[end - 1] == '\r' || text[end - 1] == '\\' || text[end - 1] == ' ')) --end;
    }
    h.offset = start;
    h.length = std::max<std::size_t>(1, end - start);
    // In a comment: a '#' that starts one (at the line start or after a blank) before the hit,
    // outside quotes.
    std::size_t ls = start;
    while (ls > 0 && start - ls < 4096 && text[ls - 1] != '\n') --ls;
    char quote = 0;
    for (std::size_t i = ls; i < start; ++i) {
      char c = text[i];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '#' && (i == ls || text[i - 1] == ' ' || text[i - 1] == '\t')) {
        h.in_comment = true;
        break;
      }
    }
    out.push_back(std::move(h));
  }
  return out;
}

namespace {

std::string message_of(const SecretHit& h) {
  std::string where = h.in_comment ? " in a comment" : "";
  if (h.encoded) where += " (base64-encoded)";
  if (h.folded) where += " (split across lines)";
  if (h.rule == "GW305") return fmt::format("password in a '{}' URL{}", h.shown, where);
  if (h.rule == "GW306") return fmt::format("'{}' holds a literal high-entropy value{}", h.provider, where);
  if (h.rule == "GW303") return fmt::format("literal {} ('{}'){}", h.kind, h.shown, where);
  std::string shown = h.shown.empty() ? "" : fmt::format(" '{}…'", h.shown);
  if (h.rule == "GW304") return fmt::format("literal JSON Web Token{}{}", shown, where);
  return fmt::format("literal {} {}{}{}", h.provider, h.kind, shown, where);
}

std::string hint_of(const SecretHit& h) {
  if (h.rule == "GW303") {
    return "keep private keys out of the repository: reference it with '${secret:NAME}' and replace the key pair, "
           "it is in Git history now";
  }
  if (h.rule == "GW304") {
    return "use '${secret:NAME}' instead, and revoke the token (or rotate its signing key): it is in Git history now";
  }
  if (h.rule == "GW305") {
    return "take the password out of the URL (keep the whole URL in a secret, '${secret:NAME}') and change it: it is "
           "in Git history now";
  }
  if (h.rule == "GW306") {
    return "write '${secret:NAME}' and keep the value in your secret store, then rotate it: it is in Git history now; "
           "if it is no secret, add '# gwctl:ignore GW306 reason=\"...\"'";
  }
  return "write '${secret:NAME}' and keep the key in your secret store, then revoke and rotate it: it is in Git "
         "history now";
}

}  // namespace

void scan_file_for_secrets(const SourceSet& sources, std::uint32_t file, Diagnostics& diags,
                           const SecretScanOptions& options) {
  const SourceFile& f = sources.file(file);
  std::vector<SecretHit> hits = scan_secrets(f.text);
  if (hits.empty()) return;
  std::vector<std::size_t> starts{0};
  for (std::size_t i = f.text.find('\n'); i != npos; i = f.text.find('\n', i + 1)) starts.push_back(i + 1);
  for (const auto& h : hits) {
    if (options.skip_comments && h.in_comment) continue;
    auto it = std::upper_bound(starts.begin(), starts.end(), h.offset);
    std::size_t line = static_cast<std::size_t>(it - starts.begin());
    Diagnostic d;
    d.severity = h.severity;
    d.rule = h.rule;
    d.message = message_of(h);
    d.span = Span{file, static_cast<std::uint32_t>(line), static_cast<std::uint32_t>(h.offset - starts[line - 1] + 1),
                  static_cast<std::uint32_t>(h.length)};
    d.hint = hint_of(h);
    d.mask_span = true;
    diags.report(std::move(d));
  }
}

void scan_sources_for_secrets(const SourceSet& sources, Diagnostics& diags, const SecretScanOptions& options) {
  for (std::uint32_t i = 0; i < sources.size(); ++i) scan_file_for_secrets(sources, i, diags, options);
}

std::string mask_detected_secrets(std::string_view text) {
  std::string out(text);
  for (const auto& h : scan_secrets(text)) {
    for (std::size_t i = h.offset; i < h.offset + h.length && i < out.size(); ++i) {
      if (out[i] != '\n') out[i] = '*';
    }
  }
  return out;
}

bool contains_detected_secret(std::string_view text) {
  return !scan_secrets(text).empty();
}

}  // namespace gwctl
