// Decide: the per-request decisions of gwd, in the order it takes them (DESIGN.md section 8):
// route match → authentication → consumer scope → (limits, see limits.hpp) → body and model
// → deployment. Each is a synchronous function of the config snapshot and the request; none
// does I/O, so the server and `gwctl test` share them. A refusal is an `Error`, which maps to
// the HTTP status and the JSON body `{"error": {"type", "message"}}` the client receives.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "gwd/config.hpp"

namespace gwd {

struct Error {
  int status = 500;
  std::string type;        // machine-readable, e.g. "unauthorized", "rate_limited"
  std::string message;     // lower-case sentence; never holds a key or a body
  Millis retry_after = 0;  // for 429: milliseconds until a retry can succeed (0: none)
};

// `{"error":{"type":…,"message":…}}`.
std::string error_body(const Error& error);

// Request headers as the decisions see them; names compare case-insensitively.
struct Headers {
  std::vector<std::pair<std::string_view, std::string_view>> items;
  std::optional<std::string_view> get(std::string_view name) const;
};

// The path part of a request target ("/v1/x?a=b" → "/v1/x"): what routes match on.
std::string_view target_path(std::string_view target);

// The first route whose path (exact or prefix), methods and headers all match; nullptr: 404.
const Route* match_route(const Config& config, std::string_view method, std::string_view path, const Headers& headers);

// The consumer presenting one of its keys (`Authorization: Bearer KEY` or `x-api-key: KEY`);
// every key is compared, in constant time, whatever matched. Routes with auth `none` yield
// nullptr with no error. 401 for a missing or unknown key and for jwt routes (not served yet).
struct AuthResult {
  const Consumer* consumer = nullptr;
  std::optional<Error> error;
};

// The digest of the last key one client connection presented: a kept-alive client sends the
// same key with every request, and hashing it is most of authenticating. The key is compared in
// constant time (for its length) and wiped when it is replaced and on destruction. Keys over
// 512 bytes are hashed every time. Digests do not depend on the config, so a memo outlives
// reloads.
class KeyMemo {
 public:
  KeyMemo() = default;
  KeyMemo(const KeyMemo&) = delete;
  KeyMemo& operator=(const KeyMemo&) = delete;
  ~KeyMemo();
  KeyDigest digest(std::string_view key);

 private:
  void wipe();
  std::string key_;
  KeyDigest digest_{};
  bool set_ = false;
};

// `memo`, when given, saves hashing a key the connection presented before.
AuthResult authenticate(const Config& config, const Route& route, const Headers& headers, KeyMemo* memo = nullptr);

// The key in `Authorization: Bearer KEY` or `x-api-key: KEY`, if any.
std::optional<std::string_view> presented_key(const Headers& headers);
// Whether `key` is one of `digests` (constant time over the whole list).
bool key_matches(const std::vector<KeyDigest>& digests, std::string_view key);

// 403 when the consumer's `routes` do not name the route (or "*"). No consumer: allowed.
std::optional<Error> check_scope(const Route& route, const Consumer* consumer);

// The request body as the decisions see it: the client's text, checked to be one JSON object,
// with its top-level "model" and "stream" read out. Nothing else of it is parsed: the upstream
// gets the client's bytes with the model spliced in (rewrite_model).
struct RequestBody {
  std::string_view text;  // the client's body, which must outlive this
  enum class ModelKind : std::uint8_t { none, string, other };
  ModelKind model_kind = ModelKind::none;  // of the last top-level "model" (none: absent or null)
  std::string model;                       // its value when a string
  // Every top-level "model" value (offset and length in `text`), duplicates included.
  boost::container::small_vector<std::pair<std::size_t, std::size_t>, 2> model_values;
  std::size_t open_at = 0;  // offset of the object's '{'
  bool stream = false;      // the last top-level "stream" is true
};

// 400 unless the body is one JSON object.
struct BodyResult {
  RequestBody body;
  std::optional<Error> error;
};
BodyResult parse_body(std::string_view text);

// The model alias: the body's "model" when the route lists it, else the route's default_model
// when the body names none. 400 for a model the route does not allow (or a non-string model,
// or no model and no default); 403 when the consumer's `models` exclude it.
struct ModelChoice {
  const Model* model = nullptr;
  std::optional<Error> error;
};
ModelChoice choose_model(const Config& config, const Route& route, const Consumer* consumer, const RequestBody& body);

// A deployment by weight among those not ejected, from `random` (any 64-bit value, uniform);
// when every deployment is ejected, among all of them (serving beats refusing). nullptr only
// for a model without deployments.
const Deployment* pick_deployment(const Model& model, const std::function<bool(const Deployment&)>& is_ejected,
                                  std::uint64_t random);

// The upstream body: the client's text with every top-level "model" set to the deployment's
// upstream id (added as the first member when the body has none).
std::string rewrite_model(const RequestBody& body, const Deployment& deployment);
// The same, written over `out` (whose capacity a caller can keep from request to request).
void rewrite_model(std::string& out, const RequestBody& body, const Deployment& deployment);

// Whether the body asks for a stream ("stream": true).
bool wants_stream(const RequestBody& body);

}  // namespace gwd
