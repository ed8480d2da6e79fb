// Config: the immutable snapshot gwd serves, parsed from a verified artifact (DESIGN.md
// sections 3, 4 and 8). Durations are milliseconds and sizes bytes, as in the artifact; secret
// references are resolved once, here, and API keys of consumers are kept only as SHA-256
// digests. Every request takes a `std::shared_ptr<const Config>` when it starts and keeps it to
// the end, so a reload never changes the rules under a request in flight.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace gwctl {
class PublicKey;  // gwctl/signing.hpp
}

namespace gwd {

using Millis = std::int64_t;
using KeyDigest = std::array<unsigned char, 32>;  // SHA-256 of an API key

enum class ProviderKind : std::uint8_t { openai, azure_openai, anthropic, openai_compatible };

// An http(s) URL split for connecting; `path` has no trailing '/'.
struct Url {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string path;
};
// Parses "http[s]://host[:port][/path]"; nullopt for anything else (userinfo, query, fragment
// and IPv6 literals are refused).
std::optional<Url> parse_url(std::string_view text);

struct Provider {
  std::string name;
  ProviderKind kind = ProviderKind::openai;
  Url base;
  std::string api_key;  // resolved secret; empty when the provider needs none
  // The headers that carry api_key for this kind (see upstream.hpp), built once.
  std::vector<std::pair<std::string, std::string>> auth_headers;
  std::string api_version;  // azure-openai query parameter, anthropic header
  bool tls_verify = true;
  std::string ca_file;  // empty: the system trust store
  Millis connect_timeout = 5000;
  int max_connections = 256;
};

struct Deployment {
  std::size_t provider = 0;  // index into Config::providers
  std::string id;            // the upstream model id written into the body
  int weight = 10000;        // basis points; a model's weights sum to 10000
  std::string key;           // "provider/id", the name in metrics, logs and ejection state
  std::string id_json;       // `id` as a JSON string literal, spliced into request bodies
};

struct Model {
  std::string name;
  std::vector<Deployment> deployments;
  std::vector<std::string> fallbacks;  // aliases tried in order when this one fails
  double input_per_mtok = 0;
  double output_per_mtok = 0;
};

// An upstream outcome as retry_on / fallback_on name it.
struct Outcome {
  enum class Kind : std::uint8_t { status, timeout, connect_error };
  Kind kind = Kind::status;
  int status = 0;  // for Kind::status
  static Outcome of_status(int s) { return {Kind::status, s}; }
  static Outcome timed_out() { return {Kind::timeout, 0}; }
  static Outcome connect_failed() { return {Kind::connect_error, 0}; }
};

struct OutcomeSet {
  std::vector<int> statuses;
  bool timeout = false;
  bool connect_error = false;
  bool contains(const Outcome& o) const;
};

struct Limit {
  enum class Unit : std::uint8_t { requests, tokens };
  enum class Key : std::uint8_t { consumer, route, ip };
  Unit unit = Unit::requests;
  std::int64_t amount = 0;
  Millis per = 60000;
  Key key = Key::consumer;
  // The limiter's name for this limit's counters, to which it appends the key's value:
  // "r:chat#0r100/60000@" (route chat, limit 0, 100 requests a minute). Set by load_config.
  std::string counter;
};

struct Budget {
  double usd = 0;
  Millis per = 86400000;
  std::string counter;  // "r:chat$86400000", as Limit::counter
};

struct Route {
  std::string name;
  // match
  std::string path;                                          // exact, or
  std::string path_prefix;                                   // prefix (exactly one is set)
  std::vector<std::string> methods;                          // empty: any method
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names, exact values
  // auth
  enum class Auth : std::uint8_t { api_key, jwt, none };
  Auth auth = Auth::api_key;
  // models
  std::vector<std::string> models;
  std::string default_model;
  // resilience
  int retries = 1;
  Millis backoff_base = 100;
  Millis backoff_max = 2000;
  OutcomeSet retry_on;
  OutcomeSet fallback_on;
  int max_attempts = 3;
  struct Eject {
    double error_rate = 1;
    Millis window = 30000;
    int min_requests = 20;
  };
  std::optional<Eject> eject;
  // timeouts
  Millis total_timeout = 60000;
  Millis first_byte_timeout = 30000;
  Millis idle_timeout = 30000;
  std::vector<Limit> limits;
  std::optional<Budget> budget;
  struct Respond {
    int status = 200;
    std::string body;
    std::string content_type = "text/plain";
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::optional<Respond> respond;
};

struct Consumer {
  std::string name;
  std::vector<KeyDigest> keys;
  std::vector<std::string> routes;  // may hold "*"
  std::vector<std::string> models;  // may hold "*"
  std::vector<Limit> limits;
  std::optional<Budget> budget;
};

struct Gateway {
  std::string name;
  std::string listen = "0.0.0.0:8080";
  std::string admin_listen = "127.0.0.1:9901";
  std::vector<KeyDigest> admin_keys;
  std::uint64_t max_request_bytes = 1 << 20;
  Millis header_timeout = 10000;
  Millis idle_timeout = 60000;
  std::string rate_limit_store = "local";
};

struct Config {
  std::string digest;
  std::string environment;
  std::string signed_by;  // the signature's key_id; empty when the artifact is unsigned
  Gateway gateway;
  std::vector<Provider> providers;
  std::map<std::string, Model, std::less<>> models;
  std::vector<Route> routes;
  std::vector<Consumer> consumers;

  const Model* model(std::string_view name) const;
  const Route* route(std::string_view name) const;
};

// Where `{"$secret": NAME}` values come from: the value, or nullopt when NAME is not set.
using SecretSource = std::function<std::optional<std::string>(const std::string& name)>;

// Either a value or the message saying why there is none.
template <class T>
struct Result {
  std::optional<T> value;
  std::string error;
  bool ok() const { return value.has_value(); }
};

// Checks the artifact text: JSON, the artifact schema, the format and the digest, and with
// `required_key` (gwd --require-signature) that it is signed by that key (gwctl's
// check_artifact, the same check as `gwctl verify`). The message names the first problem.
Result<nlohmann::json> verify_artifact(std::string_view text, const gwctl::PublicKey* required_key = nullptr);

// Builds the snapshot from a verified artifact. Fails naming every missing or empty secret
// (never a value) and every reference the schema cannot rule out (a deployment of an unknown
// provider, an unparsable base_url). `base_dir` resolves relative tls.ca_file paths.
Result<std::shared_ptr<const Config>> load_config(const nlohmann::json& artifact, const SecretSource& secrets,
                                                  const std::string& base_dir = ".");

KeyDigest digest_key(std::string_view key);

}  // namespace gwd
