// The secret scanner (GW301–GW306). Every token is built at run time from a prefix and a
// generated body, so that this repository holds no string another scanner would take for a
// real credential.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>

#include "gwctl/rules.hpp"
#include "gwctl/schema.hpp"
#include "gwctl/secret_scan.hpp"
#include "gwctl/secrets.hpp"
#include "gwctl/show.hpp"
#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;

namespace {

constexpr const char* alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr const char* hex = "0123456789abcdef";
constexpr const char* upper32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr const char* b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// A deterministic high-entropy string of `n` characters from `alphabet`.
std::string body(std::size_t n, std::string_view alphabet = alnum, std::uint64_t seed = 7) {
  std::string out;
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (std::size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out += alphabet[x % alphabet.size()];
  }
  return out;
}

std::string b64(std::string_view in) {
  static constexpr std::string_view table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t v = (std::uint32_t(std::uint8_t(in[i])) << 16) | (std::uint32_t(std::uint8_t(in[i + 1])) << 8) |
                      std::uint8_t(in[i + 2]);
    for (int k = 3; k >= 0; --k) out += table[(v >> (6 * k)) & 63];
  }
  if (i < in.size()) {
    std::uint32_t v = std::uint32_t(std::uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) v |= std::uint32_t(std::uint8_t(in[i + 1])) << 8;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += i + 1 < in.size() ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string b64url(std::string_view in) {
  std::string s = b64(in);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

std::string rules_of(const std::vector<SecretHit>& hits) {
  std::string out;
  for (const auto& h : hits) out += (out.empty() ? "" : ",") + h.rule;
  return out;
}

const std::string pem_dashes = "-----";

struct Case {
  std::string name;
  std::string text;
  std::string rule;
  std::string provider;
};

std::vector<Case> positive_cases() {
  std::string sk = "sk-";
  return {
      {"OpenAI project key", "api_key: " + sk + "proj-" + body(48), "GW301", "OpenAI"},
      {"OpenAI service account key", "k: " + sk + "svcacct-" + body(64, alnum, 2), "GW301", "OpenAI"},
      {"OpenAI admin key", "k: " + sk + "admin-" + body(64, alnum, 3), "GW301", "OpenAI"},
      {"OpenAI legacy key", "k: " + sk + body(48, alnum, 4), "GW301", "OpenAI"},
      {"OpenAI key with the marker", "k: " + sk + body(20, alnum, 5) + "T3Blbk" + "FJ" + body(20, alnum, 6), "GW301",
       "OpenAI"},
      {"Anthropic API key", "k: " + sk + "ant-api03-" + body(93, alnum, 8) + "AA", "GW301", "Anthropic"},
      {"Anthropic admin key", "k: " + sk + "ant-admin01-" + body(93, alnum, 9) + "AA", "GW301", "Anthropic"},
      {"Google API key", "k: AI" + std::string("za") + body(35, alnum, 10), "GW301", "Google"},
      {"Azure OpenAI key near azure",
       "azure:\n  base_url: https://acme.openai.azure.com\n  api-key: " + body(32, hex, 11), "GW301", "Azure OpenAI"},
      {"Cohere key near cohere", "cohere:\n  token: " + body(40, alnum, 12), "GW301", "Cohere"},
      {"Mistral key near mistral", "mistral:\n  token: " + body(32, alnum, 13), "GW301", "Mistral"},
      {"Groq key", "k: gs" + std::string("k_") + body(52, alnum, 14), "GW301", "Groq"},
      {"xAI key", "k: xa" + std::string("i-") + body(80, alnum, 15), "GW301", "xAI"},
      {"OpenRouter key", "k: " + sk + "or-v1-" + body(64, hex, 16), "GW301", "OpenRouter"},
      {"Perplexity key", "k: pp" + std::string("lx-") + body(48, alnum, 17), "GW301", "Perplexity"},
      {"DeepSeek key near deepseek", "deepseek:\n  api_key: " + sk + body(32, hex, 18), "GW301", "DeepSeek"},
      {"sk- and 32 hex elsewhere", "note: " + sk + body(32, hex, 19), "GW301", "OpenAI-compatible provider"},
      {"Hugging Face token", "k: h" + std::string("f_") + body(34, alnum, 20), "GW301", "Hugging Face"},
      {"Replicate token", "k: r" + std::string("8_") + body(37, alnum, 21), "GW301", "Replicate"},
      {"LangSmith personal token", "k: lsv2" + std::string("_pt_") + body(32, hex, 22) + "_" + body(10, hex, 23),
       "GW301", "LangSmith"},
      {"LangSmith service key", "k: lsv2" + std::string("_sk_") + body(32, hex, 24) + "_" + body(10, hex, 25), "GW301",
       "LangSmith"},
      {"Langfuse secret key",
       "k: " + sk + "lf-" + body(8, hex, 26) + "-" + body(4, hex, 27) + "-" + body(4, hex, 28) + "-" +
           body(4, hex, 29) + "-" + body(12, hex, 30),
       "GW301", "Langfuse"},
      {"AWS Bedrock API key",
       "k: AB" + std::string("SK") + b64("BedrockAPIKey-" + body(20, alnum, 31) + ":" + body(40, alnum, 32)), "GW301",
       "AWS Bedrock"},
      {"AWS access key id", "aws_access_key_id: AK" + std::string("IA") + body(16, upper32, 33), "GW302", "AWS"},
      {"AWS temporary access key id", "id: AS" + std::string("IA") + body(16, upper32, 34), "GW302", "AWS"},
      {"AWS secret access key near aws", "aws:\n  secret_access_key: " + body(40, b64chars, 35), "GW302", "AWS"},
      {"GitHub personal token", "k: gh" + std::string("p_") + body(36, alnum, 36), "GW302", "GitHub"},
      {"GitHub OAuth token", "k: gh" + std::string("o_") + body(36, alnum, 37), "GW302", "GitHub"},
      {"GitHub user token", "k: gh" + std::string("u_") + body(36, alnum, 38), "GW302", "GitHub"},
      {"GitHub server token", "k: gh" + std::string("s_") + body(36, alnum, 39), "GW302", "GitHub"},
      {"GitHub refresh token", "k: gh" + std::string("r_") + body(36, alnum, 40), "GW302", "GitHub"},
      {"GitHub fine-grained token",
       "k: github" + std::string("_pat_") + body(22, alnum, 41) + "_" + body(59, alnum, 42), "GW302", "GitHub"},
      {"GitLab personal token", "k: gl" + std::string("pat-") + body(20, alnum, 43), "GW302", "GitLab"},
      {"GitLab runner token", "k: gl" + std::string("rt-") + body(20, alnum, 44), "GW302", "GitLab"},
      {"GitLab deploy token", "k: gl" + std::string("dt-") + body(20, alnum, 45), "GW302", "GitLab"},
      {"Slack bot token",
       "k: xo" + std::string("xb-") + body(11, "0123456789", 46) + "-" + body(12, "0123456789", 47) + "-" +
           body(24, alnum, 48),
       "GW302", "Slack"},
      {"Slack user token", "k: xo" + std::string("xp-") + body(11, "0123456789", 49) + "-" + body(24, alnum, 50),
       "GW302", "Slack"},
      {"Slack webhook",
       "url: https://hooks.slack" + std::string(".com/services/T") + body(10, upper32, 51) + "/B" +
           body(10, upper32, 52) + "/" + body(24, alnum, 53),
       "GW302", "Slack"},
      {"Stripe live key", "k: sk" + std::string("_live_") + body(24, alnum, 54), "GW302", "Stripe"},
      {"Stripe restricted key", "k: rk" + std::string("_live_") + body(24, alnum, 55), "GW302", "Stripe"},
      {"RSA private key",
       "tls:\n  key: |\n    " + pem_dashes + "BEGIN RSA PRIVATE KEY" + pem_dashes + "\n    " + body(64, b64chars, 56) +
           "\n    " + body(64, b64chars, 57) + "\n    " + pem_dashes + "END RSA PRIVATE KEY" + pem_dashes + "\n",
       "GW303", "PEM"},
      {"EC private key", pem_dashes + "BEGIN EC PRIVATE KEY" + pem_dashes + "\n" + body(96, b64chars, 58) + "\n",
       "GW303", "PEM"},
      {"DSA private key", pem_dashes + "BEGIN DSA PRIVATE KEY" + pem_dashes + "\n" + body(96, b64chars, 59) + "\n",
       "GW303", "PEM"},
      {"OpenSSH private key",
       pem_dashes + "BEGIN OPENSSH PRIVATE KEY" + pem_dashes + "\n" + body(96, b64chars, 60) + "\n", "GW303", "PEM"},
      {"PKCS#8 private key", pem_dashes + "BEGIN PRIVATE KEY" + pem_dashes + "\n" + body(96, b64chars, 61) + "\n",
       "GW303", "PEM"},
      {"encrypted private key",
       pem_dashes + "BEGIN ENCRYPTED PRIVATE KEY" + pem_dashes + "\n" + body(96, b64chars, 62) + "\n", "GW303", "PEM"},
      {"private key in a double-quoted string",
       "key: \"" + pem_dashes + "BEGIN PRIVATE KEY" + pem_dashes + "\\n" + body(96, b64chars, 63) + "\\n" + pem_dashes +
           "END PRIVATE KEY" + pem_dashes + "\"",
       "GW303", "PEM"},
      {"JWT",
       "auth: " + b64url(R"({"alg":"HS256","typ":"JWT"})") + "." + b64url(R"({"sub":"svc-42","iat":1700000000})") +
           "." + b64url(body(32, alnum, 64)),
       "GW304", "JWT"},
      {"password in a postgres URL", "dsn: postgres://app:" + body(16, alnum, 65) + "@db.internal:5432/app", "GW305",
       "postgres"},
      {"password in a redis URL", "cache: rediss://:" + body(20, alnum, 66) + "@redis.internal:6380", "GW305",
       "rediss"},
      {"percent-encoded password", "u: https://bob:p%40" + body(12, alnum, 67) + "@proxy.internal", "GW305", "https"},
      {"generic client_secret", "client_secret: " + body(32, alnum, 68), "GW306", "client_secret"},
      {"generic password", "password: " + body(10, alnum, 69) + "!#", "GW306", "password"},
      {"generic hex webhook secret", "webhook_secret: " + body(64, hex, 70), "GW306", "webhook_secret"},
      {"generic key in a .env line", "# OTHER_API_TOKEN=" + body(24, alnum, 71), "GW306", "OTHER_API_TOKEN"},
  };
}

}  // namespace

TEST_CASE("every documented format is found with its provider", "[secrets]") {
  for (const auto& c : positive_cases()) {
    INFO(c.name << "\n" << c.text);
    auto hits = scan_secrets(c.text);
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].rule == c.rule);
    CHECK(hits[0].provider == c.provider);
  }
}

TEST_CASE("a hit's span is the token itself", "[secrets]") {
  std::string key = "sk-" + std::string("proj-") + body(48);
  std::string text = "providers:\n  openai:\n    api_key: \"" + key + "\"  # prod\n";
  auto hits = scan_secrets(text);
  REQUIRE(hits.size() == 1);
  CHECK(text.substr(hits[0].offset, hits[0].length) == key);
  CHECK_FALSE(hits[0].in_comment);
  CHECK(hits[0].shown == "sk-proj-");
}

TEST_CASE("a key in a comment is found and said to be in a comment", "[secrets]") {
  std::string text = "gateway:\n  name: a  # old key: gh" + std::string("p_") + body(36) + "\n";
  auto hits = scan_secrets(text);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].in_comment);
}

TEST_CASE("the Stripe test key is a warning, live keys are errors", "[secrets]") {
  auto test = scan_secrets("k: sk" + std::string("_test_") + body(24));
  REQUIRE(test.size() == 1);
  CHECK(test[0].severity == Severity::warning);
  auto live = scan_secrets("k: sk" + std::string("_live_") + body(24));
  REQUIRE(live.size() == 1);
  CHECK(live[0].severity == Severity::error);
}

TEST_CASE("a key folded across YAML lines is read joined", "[secrets]") {
  std::string key = "sk-" + std::string("proj-") + body(60);
  SECTION("plain multi-line scalar") {
    std::string text = "providers:\n  openai:\n    api_key: " + key.substr(0, 30) + "\n      " + key.substr(30) +
                       "\n    kind: openai\n";
    auto hits = scan_secrets(text);
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].folded);
    CHECK(hits[0].rule == "GW301");
    CHECK(text.substr(hits[0].offset, hits[0].length) == key.substr(0, 30));
  }
  SECTION("double-quoted with an escaped line break") {
    std::string text = "api_key: \"" + key.substr(0, 25) + "\\\n  " + key.substr(25) + "\"\n";
    auto hits = scan_secrets(text);
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].folded);
  }
  SECTION("folded and literal blocks") {
    for (std::string indicator : {">-", "|"}) {
      std::string text = "api_key: " + indicator + "\n  " + key.substr(0, 20) + "\n  " + key.substr(20, 20) + "\n  " +
                         key.substr(40) + "\nother: 1\n";
      auto hits = scan_secrets(text);
      REQUIRE(hits.size() == 1);
      CHECK(hits[0].folded);
      CHECK(hits[0].rule == "GW301");
    }
  }
}

TEST_CASE("a base64-encoded key is found once, at the encoded token", "[secrets]") {
  std::string key = "gh" + std::string("p_") + body(36);
  std::string enc = b64("token=" + key);
  std::string text = "data:\n  blob: " + enc + "\n";
  auto hits = scan_secrets(text);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].encoded);
  CHECK(hits[0].provider == "GitHub");
  CHECK(text.substr(hits[0].offset, hits[0].length) == enc);
}

TEST_CASE("a key in a second YAML document counts", "[secrets]") {
  std::string text =
      "gateway:\n  replicas: 2\n---\nproviders:\n  x:\n    api_key: gs" + std::string("k_") + body(52) + "\n";
  CHECK(rules_of(scan_secrets(text)) == "GW301");
}

TEST_CASE("one finding per secret when several detectors agree", "[secrets]") {
  // A provider key under a secret-named key: the provider format wins over the generic rule.
  auto hits = scan_secrets("api_key: sk-" + std::string("proj-") + body(48) + "\n");
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].rule == "GW301");
  // A token inside a URL's password: the token format wins.
  auto url = scan_secrets("u: https://x-access-token:gh" + std::string("p_") + body(36) + "@github.com/acme/cfg\n");
  REQUIRE(url.size() == 1);
  CHECK(url[0].rule == "GW302");
}

TEST_CASE("secret references are not secrets", "[secrets]") {
  for (const std::string& text : std::vector<std::string>{
           "api_key: ${secret:OPENAI_API_KEY}",
           "api_key: \"${env:OPENAI_API_KEY}\"",
           "password: vault://kv/prod/db#password",
           "client_secret: ENC[AES256_GCM,data:" + body(40) + ",iv:" + body(16) + ",tag:" + body(16) + ",type:str]",
           "dsn: postgres://app:${secret:DB_PASSWORD}@db:5432/app",
           "dsn: postgres://app:${env:DB_PASSWORD}@db:5432/app",
           "dsn: postgres://app:$DB_PASSWORD@db:5432/app",
           "token: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/gw-" + body(6),
       }) {
    INFO(text);
    CHECK(scan_secrets(text).empty());
  }
}

TEST_CASE("placeholders are not secrets", "[secrets]") {
  std::string sk = "sk-";
  for (const std::string& text : std::vector<std::string>{
           "api_key: " + sk + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
           "api_key: " + sk + "proj-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
           "api_key: " + sk + "proj-your-key-goes-here-0123456789",
           "api_key: <your-key>",
           "password: changeme",
           "password: REPLACE_ME",
           "client_secret: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
           "token: abababababababababababababababab",
           "api_key: " + sk + "proj-EXAMPLE-" + body(24),
           "token: dummy-" + body(24),
           "api_key: gh" + std::string("p_") + "0000000000000000000000000000000000000",
           "dsn: postgres://user:password@localhost/db",
           "dsn: postgres://user:changeme@localhost/db",
           "dsn: postgres://user:****@localhost/db",
           "dsn: mysql://root:<password>@localhost/db",
           "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
           "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----",
       }) {
    INFO(text);
    CHECK(scan_secrets(text).empty());
  }
}

TEST_CASE("vendor documentation examples are not secrets", "[secrets]") {
  // AWS's documented example key pair and jwt.io's sample token, assembled from pieces.
  std::string aws_id = "AKIA" + std::string("IOSFODNN7") + "EXAMPLE";
  std::string aws_secret = "wJalrXUtnFEMI/K7MDENG/" + std::string("bPxRfiCY") + "EXAMPLEKEY";
  std::string sample = b64url(R"({"alg":"HS256","typ":"JWT"})") + "." +
                       b64url(R"({"sub":"1234567890","name":"John Doe","iat":1516239022})") + "." +
                       b64url(body(32, alnum, 99));
  for (const std::string& text :
       std::vector<std::string>{"aws_access_key_id: " + aws_id, "aws:\n  aws_secret_access_key: " + aws_secret,
                                "Authorization: Bearer " + sample}) {
    INFO(text);
    CHECK(scan_secrets(text).empty());
  }
}

TEST_CASE("digests, UUIDs, model ids and plain names are not secrets", "[secrets]") {
  for (const std::string& text : std::vector<std::string>{
           "image: registry.internal/gwd@sha256:" + body(64, hex), "checksum: " + body(64, hex),
           "commit: " + body(40, hex), "token_hash: " + body(64, hex),
           "key_id: " + body(8, hex) + "-" + body(4, hex) + "-" + body(4, hex) + "-" + body(4, hex) + "-" +
               body(12, hex),
           "api_key: " + body(8, hex) + "-" + body(4, hex) + "-4" + body(3, hex) + "-a" + body(3, hex) + "-" +
               body(12, hex),
           "model: gpt-4o-2024-11-20", "key: claude-3-5-sonnet-20241022", "secret_name: openai-prod-key-2024",
           "api_key_header: Authorization", "max_tokens: 4096", "tokens_per_minute: 200000", "key: consumer",
           "token_url: https://login.example.com/oauth2/v2.0/token",
           "md5: " + body(32, hex),   // a 32-hex token with no Azure context
           "id: " + body(40, alnum),  // 40 characters with no Cohere context
       }) {
    INFO(text);
    CHECK(scan_secrets(text).empty());
  }
}

TEST_CASE("public keys and certificates are not secrets", "[secrets]") {
  for (const std::string& text : std::vector<std::string>{
           "-----BEGIN PUBLIC KEY-----\n" + body(64, b64chars) + "\n" + body(64, b64chars, 3) +
               "\n-----END PUBLIC KEY-----",
           "ca: |\n  -----BEGIN CERTIFICATE-----\n  " + body(64, b64chars) + "\n  " + body(64, b64chars, 4) +
               "\n  -----END CERTIFICATE-----\n",
           "public_key: " + body(44, b64chars),
           "ssh_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + body(43, b64chars) + " ops@acme",
       }) {
    INFO(text);
    CHECK(scan_secrets(text).empty());
  }
}

TEST_CASE("provider-context formats need their provider nearby", "[secrets]") {
  CHECK(scan_secrets("x:\n  value: " + body(32, alnum, 13)).empty());
  auto generic = scan_secrets("x:\n  signing_secret: " + body(40, b64chars, 35));
  REQUIRE(generic.size() == 1);  // a secret-named field: generic, not AWS
  CHECK(generic[0].rule == "GW306");
  CHECK(scan_secrets("x:\n  value: " + body(32, hex, 11)).empty());
}

TEST_CASE("mask_detected_secrets hides every secret and keeps the line's length", "[secrets]") {
  std::string key = "gh" + std::string("p_") + body(36);
  std::string line = "name: ci  # token " + key;
  std::string masked = mask_detected_secrets(line);
  CHECK(masked.size() == line.size());
  CHECK(masked.find(key.substr(4)) == std::string::npos);
  CHECK(masked.starts_with("name: ci  # token ****"));
}

namespace {

std::map<std::string, std::string> tree_with(const std::string& providers, const std::string& flag = "") {
  std::map<std::string, std::string> files = project_with("gateway: {replicas: 2}\n");
  files["base/providers.yaml"] = providers;
  if (!flag.empty()) files["flags/canary.yaml"] = flag;
  return files;
}

std::vector<const Finding*> gw3(const LintResult& r) {
  std::vector<const Finding*> out;
  for (const auto& f : r.findings) {
    if (f.diag.rule.starts_with("GW3")) out.push_back(&f);
  }
  return out;
}

}  // namespace

TEST_CASE("lint reports secrets with the exact position and a masked message", "[secrets][lint]") {
  std::string key = "sk-" + std::string("ant-api03-") + body(93) + "AA";
  std::unique_ptr<Project> keep;
  auto r = lint_files(tree_with("providers:\n  anthropic:\n    kind: anthropic\n    api_key: " + key + "\n"), keep);
  auto found = gw3(r);
  REQUIRE(found.size() == 1);
  const Diagnostic& d = found[0]->diag;
  CHECK(d.rule == "GW301");
  CHECK(d.message == "literal Anthropic API key 'sk-ant-api03-…'");
  CHECK(keep->sources.file(d.span.file).path == "base/providers.yaml");
  CHECK(d.span.line == 4);
  CHECK(d.span.column == 14);
  CHECK(d.span.length == key.size());
  CHECK(d.mask_span);
  CHECK(d.hint.find("${secret:NAME}") != std::string::npos);
  CHECK(found[0]->envs == std::vector<std::string>{"dev", "prod"});
}

TEST_CASE("lint scans files that do not parse, flag overlays and gwctl.yaml", "[secrets][lint]") {
  std::string a = "gh" + std::string("p_") + body(36, alnum, 1);
  std::string b = "gl" + std::string("pat-") + body(20, alnum, 2);
  std::string c = "xo" + std::string("xb-") + body(12, "0123456789", 3) + "-" + body(24, alnum, 4);
  auto files = tree_with("providers: [unclosed\n  # " + a + "\n", "routes: []\n# " + b + "\n");
  files["gwctl.yaml"] = "environments: [dev, prod]\n# notify: " + c + "\n";
  std::unique_ptr<Project> keep;
  auto r = lint_files(files, keep);
  auto found = gw3(r);
  REQUIRE(found.size() == 3);
  std::string paths;
  for (const auto* f : found) paths += keep->sources.file(f->diag.span.file).path + " ";
  CHECK(paths == "base/providers.yaml flags/canary.yaml gwctl.yaml ");
  CHECK(found[1]->flags == std::vector<std::string>{"canary"});
}

TEST_CASE("a secret is never printed by any report format", "[secrets][report]") {
  std::string key = "sk-" + std::string("proj-") + body(48);
  std::string tok = "gh" + std::string("p_") + body(36, alnum, 9);
  std::string pw = body(18, alnum, 10);
  std::unique_ptr<Project> keep;
  auto r = lint_files(tree_with("providers:\n  openai:\n    kind: openai\n    api_key: " + key + "  # and " + tok +
                                "\n    base_url: https://u:" + pw + "@api.openai.com/v1\n"),
                      keep);
  REQUIRE(gw3(r).size() == 3);
  std::vector<std::string> outputs = {
      render_findings_text(r, keep->sources, {}),
      render_findings_json(r, keep->sources).dump(),
      render_findings_sarif(r, keep->sources, "gwctl.yaml").dump(),
      render_findings_junit(r, keep->sources, "gwctl.yaml"),
      render_findings_github(r, keep->sources),
      render_findings_gitlab(r, keep->sources, "gwctl.yaml").dump(),
  };
  for (const auto& out : outputs) {
    CHECK(out.find(key.substr(8, 20)) == std::string::npos);
    CHECK(out.find(tok.substr(4, 20)) == std::string::npos);
    CHECK(out.find(pw) == std::string::npos);
  }
  CHECK(outputs[0].find("literal OpenAI project API key 'sk-proj-…'") != std::string::npos);
}

TEST_CASE("diagnostics of other rules mask a secret on the line they quote", "[secrets][report]") {
  std::string tok = "gh" + std::string("p_") + body(36, alnum, 9);
  auto c = compile(project_with("gateway: {replicas: 2, bogus: 1}  # " + tok + "\n"), "prod");
  std::string text = c->all_rendered();
  CHECK(text.find("GW102") != std::string::npos);
  CHECK(text.find(tok.substr(4)) == std::string::npos);
}

TEST_CASE("show redacts a detected secret in any field", "[secrets][show]") {
  std::string pw = body(18, alnum, 10);
  auto c = compile(project_with("providers:\n  openai: {base_url: 'https://u:" + pw + "@api.openai.com/v1'}\n"), "prod",
                   Stage::merge);
  NodePtr shown = redact_secret_literals(c->result.merged.root, Schema::config());
  std::string yaml = show_yaml(*shown, c->project.sources, true);
  CHECK(yaml.find(pw) == std::string::npos);
  CHECK(yaml.find("<redacted: literal secret>") != std::string::npos);
}

TEST_CASE("the scan of a 5 MB file is fast", "[secrets][speed]") {
  std::string text;
  std::size_t i = 0;
  while (text.size() < 5u << 20) {
    text += "routes:\n  - name: route-" + std::to_string(i) + "\n    match: {path: /v1/r" + std::to_string(i) +
            ", methods: [POST]}\n    models: [gpt-4o, claude-3-5-sonnet-20241022]\n    api_key: ${secret:K" +
            std::to_string(i) + "}\n    # owner: team-" + std::to_string(i % 17) + " https://wiki.internal/x\n";
    ++i;
  }
  text += "    api_key: sk-" + std::string("proj-") + body(48) + "\n";
  auto start = std::chrono::steady_clock::now();
  auto hits = scan_secrets(text);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  CHECK(hits.size() == 1);
  WARN("5 MB scanned in " << ms << " ms");
  CHECK(ms < 20000);  // catches quadratic behaviour, not speed: bench/secrets.sh measures that
}

TEST_CASE("the secret rules are documented with examples the scanner does not flag", "[secrets][rules]") {
  for (std::string id : {"GW301", "GW302", "GW303", "GW304", "GW305", "GW306"}) {
    INFO(id);
    const RuleDoc* doc = find_rule_doc(id);
    REQUIRE(doc);
    CHECK(doc->category == "secrets");
    CHECK_FALSE(doc->fix.empty());
    CHECK(scan_secrets(doc->example).empty());
    CHECK(scan_secrets(doc->fixed).empty());
  }
}

TEST_CASE("compile writes no artifact from a key in any value, but a key in a comment does not block it",
          "[secrets][pipeline]") {
  std::string key = "sk-" + std::string("proj-") + body(48);
  std::string in_value = std::string(minimal_base) + "    description: \"temporary key " + key + "\"\n";
  auto refused = compile(project_with("", in_value), "prod");
  CHECK(refused->result.artifact.is_null());
  bool named = false;
  for (const auto& d : refused->result.diags.all()) named = named || (d.rule == "GW301" && d.mask_span);
  CHECK(named);

  std::string in_comment = std::string(minimal_base) + "    # rotated: " + key + "\n";
  auto written = compile(project_with("", in_comment), "prod");
  CHECK(written->result.artifact.is_object());
  CHECK(written->result.artifact_text.find(key) == std::string::npos);

  // The semantic diff compares models without the policy gate: the change is shown, masked.
  auto for_diff = compile(project_with("", in_value), "prod", Stage::emit, {}, PipelineOptions{.policy = false});
  CHECK(for_diff->result.artifact.is_object());
}

TEST_CASE("a rendered source line hides the values of credential-named keys, not references", "[secrets]") {
  // Character for character, so that a caret under the line still points at the right column.
  CHECK(mask_secret_values("    api_key: sk-live-abcdef") == "    api_key: **************");
  // A route test's request headers: either header a key travels in.
  CHECK(mask_secret_values("      headers: {authorization: Bearer mine-123, x-api-key: other-456}") ==
        "      headers: {authorization: ****** ********, x-api-key: *********}");
  CHECK(mask_secret_values("    api_key: ${secret:OPENAI_API_KEY}") == "    api_key: ${secret:OPENAI_API_KEY}");
  CHECK(mask_secret_values("      - {requests: 60, per: 1m, key: consumer}") ==
        "      - {requests: 60, per: 1m, key: consumer}");
}
