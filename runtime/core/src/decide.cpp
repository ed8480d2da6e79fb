#include "gwd/decide.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include "json_scan.hpp"
#include "text.hpp"

namespace gwd {

namespace {

using json = nlohmann::json;

using detail::iequals;

bool lists(const std::vector<std::string>& names, std::string_view name) {
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return n == "*" || n == name; });
}

}  // namespace

std::string error_body(const Error& error) {
  json body = {{"error", {{"type", error.type}, {"message", error.message}}}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [n, v] : items) {
    if (iequals(n, name)) return v;
  }
  return std::nullopt;
}

const Route* match_route(const Config& config, std::string_view method, std::string_view path, const Headers& headers) {
  for (const Route& route : config.routes) {
    if (!route.path.empty() ? path != route.path : !path.starts_with(route.path_prefix)) continue;
    if (!route.methods.empty() &&
        std::find(route.methods.begin(), route.methods.end(), method) == route.methods.end()) {
      continue;
    }
    bool headers_match = std::all_of(route.headers.begin(), route.headers.end(), [&](const auto& h) {
      auto value = headers.get(h.first);
      return value && *value == h.second;
    });
    if (headers_match) return &route;
  }
  return nullptr;
}

std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find('?'));
}

std::optional<std::string_view> presented_key(const Headers& headers) {
  if (auto auth = headers.get("authorization")) {
    std::string_view v = *auth;
    if (v.size() > 7 && iequals(v.substr(0, 7), "bearer ")) {
      v.remove_prefix(7);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      if (!v.empty()) return v;
    }
  }
  if (auto key = headers.get("x-api-key"); key && !key->empty()) return key;
  return std::nullopt;
}

namespace {

// Both sides are SHA-256 digests, so every comparison has the same length and cost, and the
// loop never stops early.
bool digest_in(const std::vector<KeyDigest>& digests, const KeyDigest& presented) {
  int found = 0;
  for (const KeyDigest& d : digests) found |= CRYPTO_memcmp(d.data(), presented.data(), d.size()) == 0 ? 1 : 0;
  return found != 0;
}

}  // namespace

bool key_matches(const std::vector<KeyDigest>& digests, std::string_view key) {
  return digest_in(digests, digest_key(key));
}

KeyMemo::~KeyMemo() {
  wipe();
}

void KeyMemo::wipe() {
  if (!key_.empty()) OPENSSL_cleanse(key_.data(), key_.size());
  key_.clear();
  set_ = false;
}

KeyDigest KeyMemo::digest(std::string_view key) {
  constexpr std::size_t max_kept = 512;
  if (set_ && key.size() == key_.size() && CRYPTO_memcmp(key.data(), key_.data(), key.size()) == 0) return digest_;
  wipe();
  if (key.size() > max_kept) return digest_key(key);
  key_.assign(key);
  digest_ = digest_key(key);
  set_ = true;
  return digest_;
}

AuthResult authenticate(const Config& config, const Route& route, const Headers& headers, KeyMemo* memo) {
  if (route.auth == Route::Auth::none) return {};
  if (route.auth == Route::Auth::jwt) {
    return {nullptr,
            Error{401, "unauthorized", "route '" + route.name + "' needs a JWT, which this gwd cannot verify yet"}};
  }
  auto key = presented_key(headers);
  if (!key) {
    return {nullptr,
            Error{401, "unauthorized", "missing API key: send 'Authorization: Bearer KEY' or 'x-api-key: KEY'"}};
  }
  // The presented key is hashed once; then every consumer's digests are compared.
  KeyDigest presented = memo != nullptr ? memo->digest(*key) : digest_key(*key);
  const Consumer* who = nullptr;
  for (const Consumer& c : config.consumers) {
    if (digest_in(c.keys, presented) && who == nullptr) who = &c;
  }
  if (who == nullptr) return {nullptr, Error{401, "unauthorized", "invalid API key"}};
  return {who, std::nullopt};
}

std::optional<Error> check_scope(const Route& route, const Consumer* consumer) {
  if (consumer == nullptr || lists(consumer->routes, route.name)) return std::nullopt;
  return Error{403, "forbidden", "consumer '" + consumer->name + "' may not use route '" + route.name + "'"};
}

BodyResult parse_body(std::string_view text) {
  static const std::vector<std::string_view> keys = {"model", "stream"};
  detail::JsonScan scan = detail::scan_json(text, keys);
  if (!scan.valid) return {{}, Error{400, "invalid_request", "the request body is not valid JSON"}};
  if (!scan.object) return {{}, Error{400, "invalid_request", "the request body must be a JSON object"}};
  RequestBody body;
  body.text = text;
  body.open_at = scan.open_at;
  bool stream_named = false;
  for (const detail::JsonMember& m : scan.members) {
    if (m.key == "stream") {
      // Providers differ on which of two "stream" members counts; gwd relays by what it reads.
      if (stream_named) {
        return {{}, Error{400, "invalid_request", "the request body names \"stream\" more than once"}};
      }
      stream_named = true;
      body.stream = m.value == "true";
      continue;
    }
    body.model_values.emplace_back(m.value_at, m.value.size());
    if (m.value == "null") {
      body.model_kind = RequestBody::ModelKind::none;
    } else if (m.value.front() == '"') {
      body.model_kind = RequestBody::ModelKind::string;
      body.model = detail::decode_json_string(m.value);
    } else {
      body.model_kind = RequestBody::ModelKind::other;
    }
  }
  return {std::move(body), std::nullopt};
}

ModelChoice choose_model(const Config& config, const Route& route, const Consumer* consumer, const RequestBody& body) {
  std::string name;
  if (body.model_kind == RequestBody::ModelKind::other) {
    return {nullptr, Error{400, "invalid_request", "the body's \"model\" must be a string"}};
  }
  if (body.model_kind == RequestBody::ModelKind::string) {
    name = body.model;
    if (std::find(route.models.begin(), route.models.end(), name) == route.models.end()) {
      std::string allowed;
      for (const std::string& m : route.models) allowed += (allowed.empty() ? "'" : ", '") + m + "'";
      return {nullptr, Error{400, "model_not_allowed",
                             "model '" + name + "' is not served on route '" + route.name + "' (expected one of " +
                                 (allowed.empty() ? std::string("none") : allowed) + ")"}};
    }
  } else {
    name = route.default_model;
    if (name.empty()) {
      return {nullptr, Error{400, "invalid_request",
                             "the body names no \"model\" and route '" + route.name + "' has no default_model"}};
    }
  }
  if (consumer != nullptr && !lists(consumer->models, name)) {
    return {nullptr, Error{403, "forbidden", "consumer '" + consumer->name + "' may not use model '" + name + "'"}};
  }
  const Model* model = config.model(name);
  if (model == nullptr || model->deployments.empty()) {
    return {nullptr, Error{400, "model_not_allowed", "model '" + name + "' has no deployment"}};
  }
  return {model, std::nullopt};
}

const Deployment* pick_deployment(const Model& model, const std::function<bool(const Deployment&)>& is_ejected,
                                  std::uint64_t random) {
  if (model.deployments.empty()) return nullptr;
  std::uint64_t total = 0;
  for (const Deployment& d : model.deployments) {
    if (!is_ejected || !is_ejected(d)) total += static_cast<std::uint64_t>(d.weight);
  }
  bool all_out = total == 0;
  if (all_out) {
    for (const Deployment& d : model.deployments) total += static_cast<std::uint64_t>(d.weight);
    if (total == 0) return &model.deployments[random % model.deployments.size()];
  }
  std::uint64_t point = random % total;
  for (const Deployment& d : model.deployments) {
    if (!all_out && is_ejected && is_ejected(d)) continue;
    if (point < static_cast<std::uint64_t>(d.weight)) return &d;
    point -= static_cast<std::uint64_t>(d.weight);
  }
  return &model.deployments.back();
}

std::string rewrite_model(const RequestBody& body, const Deployment& deployment) {
  std::string out;
  rewrite_model(out, body, deployment);
  return out;
}

void rewrite_model(std::string& out, const RequestBody& body, const Deployment& deployment) {
  std::string_view id = deployment.id_json;
  std::string id_text;
  if (id.empty()) {  // a Deployment made by hand rather than by load_config
    detail::append_json_string(id_text, deployment.id);
    id = id_text;
  }
  // The client's bytes from the object on: a UTF-8 byte-order mark, which JSON allows only
  // to be ignored, is not passed on (some providers refuse it).
  std::string_view text = body.text;
  std::size_t start = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  out.clear();
  out.reserve(text.size() + id.size() + 16);
  if (body.model_values.empty()) {
    out.append(text.substr(start, body.open_at + 1 - start)).append("\"model\":").append(id);
    std::string_view rest = text.substr(body.open_at + 1);
    std::size_t next = rest.find_first_not_of(" \t\r\n");
    if (next != std::string_view::npos && rest[next] != '}') out.push_back(',');
    out.append(rest);
    return;
  }
  std::size_t from = start;
  for (const auto& [at, size] : body.model_values) {
    out.append(text.substr(from, at - from)).append(id);
    from = at + size;
  }
  out.append(text.substr(from));
}

bool wants_stream(const RequestBody& body) {
  return body.stream;
}

}  // namespace gwd
