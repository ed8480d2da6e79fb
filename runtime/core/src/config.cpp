#include "gwd/config.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <memory>
#include <set>

#include "gwctl/signing.hpp"

namespace gwd {

namespace {

using json = nlohmann::json;

const json& at(const json& object, const char* key) {
  static const json null_value;
  if (!object.is_object()) return null_value;
  auto it = object.find(key);
  return it == object.end() ? null_value : *it;
}

std::string str(const json& object, const char* key, std::string fallback = {}) {
  const json& v = at(object, key);
  return v.is_string() ? v.get<std::string>() : fallback;
}

std::int64_t num(const json& object, const char* key, std::int64_t fallback) {
  const json& v = at(object, key);
  return v.is_number_integer() ? v.get<std::int64_t>() : fallback;
}

double real(const json& object, const char* key, double fallback) {
  const json& v = at(object, key);
  return v.is_number() ? v.get<double>() : fallback;
}

std::vector<std::string> strings(const json& object, const char* key) {
  std::vector<std::string> out;
  for (const json& v : at(object, key)) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

OutcomeSet outcomes(const json& list) {
  OutcomeSet set;
  for (const json& v : list) {
    if (v.is_number_integer()) set.statuses.push_back(v.get<int>());
    if (v == "timeout") set.timeout = true;
    if (v == "connect_error") set.connect_error = true;
  }
  return set;
}

std::vector<Limit> limits(const json& list) {
  std::vector<Limit> out;
  for (const json& v : list) {
    Limit l;
    if (at(v, "tokens").is_number_integer()) {
      l.unit = Limit::Unit::tokens;
      l.amount = num(v, "tokens", 1);
    } else {
      l.amount = num(v, "requests", 1);
    }
    l.per = std::max<Millis>(1, num(v, "per", 60000));
    std::string key = str(v, "key", "consumer");
    l.key = key == "route" ? Limit::Key::route : key == "ip" ? Limit::Key::ip : Limit::Key::consumer;
    out.push_back(l);
  }
  return out;
}

std::optional<Budget> budget(const json& v) {
  if (!v.is_object()) return std::nullopt;
  return Budget{real(v, "usd", 0), std::max<Millis>(1, num(v, "per", 86400000)), {}};
}

// Names the counters of one owner's limits and budget (`owner` is "r:ROUTE" or "c:CONSUMER"):
// the position and numbers are in the name, so a reload that keeps a limit keeps its counter,
// and one that changes it starts afresh.
void name_counters(const std::string& owner, std::vector<Limit>& limits, std::optional<Budget>& budget) {
  for (std::size_t i = 0; i < limits.size(); ++i) {
    Limit& l = limits[i];
    l.counter = owner + "#" + std::to_string(i) + (l.unit == Limit::Unit::tokens ? "t" : "r") +
                std::to_string(l.amount) + "/" + std::to_string(l.per) + "@";
  }
  if (budget) budget->counter = owner + "$" + std::to_string(budget->per);
}

// The headers that carry a provider's key, by kind (upstream.hpp).
std::vector<std::pair<std::string, std::string>> auth_headers(const Provider& p) {
  std::vector<std::pair<std::string, std::string>> out;
  switch (p.kind) {
    case ProviderKind::azure_openai:
      if (!p.api_key.empty()) out.emplace_back("api-key", p.api_key);
      break;
    case ProviderKind::anthropic:
      if (!p.api_key.empty()) out.emplace_back("x-api-key", p.api_key);
      out.emplace_back("anthropic-version", p.api_version.empty() ? "2023-06-01" : p.api_version);
      break;
    case ProviderKind::openai:
    case ProviderKind::openai_compatible:
      if (!p.api_key.empty()) out.emplace_back("authorization", "Bearer " + p.api_key);
      break;
  }
  return out;
}

// Whether `value` can be sent as an HTTP header value: no control characters, so no line break
// that would end the header early.
bool header_safe(std::string_view value) {
  return std::none_of(value.begin(), value.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// Whether `name` is an HTTP header name (an RFC 9110 token).
bool header_name(std::string_view name) {
  constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || extra.find(c) != std::string_view::npos;
  });
}

// Collects the names of missing secrets instead of failing on the first.
struct SecretResolver {
  const SecretSource& source;
  std::set<std::string> missing;
  std::set<std::string> unsendable;  // holds a control character: it would break a header line

  std::string resolve(const json& ref) {
    const json& name = at(ref, "$secret");
    if (!name.is_string()) return {};
    auto value = source(name.get<std::string>());
    if (!value || value->empty()) {
      missing.insert(name.get<std::string>());
      return {};
    }
    if (!header_safe(*value)) {
      unsendable.insert(name.get<std::string>());
      return {};
    }
    return *value;
  }
};

}  // namespace

std::optional<Url> parse_url(std::string_view text) {
  Url url;
  if (text.starts_with("https://")) {
    url.tls = true;
    text.remove_prefix(8);
  } else if (text.starts_with("http://")) {
    text.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  if (text.find_first_of("?#@[ \t") != std::string_view::npos) return std::nullopt;
  auto slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : text.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  auto colon = authority.find(':');
  url.host = std::string(authority.substr(0, colon));
  url.port = url.tls ? 443 : 80;
  if (colon != std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) return std::nullopt;
    url.port = static_cast<std::uint16_t>(value);
  }
  if (url.host.empty()) return std::nullopt;
  url.path = std::string(path);
  return url;
}

bool OutcomeSet::contains(const Outcome& o) const {
  switch (o.kind) {
    case Outcome::Kind::timeout:
      return timeout;
    case Outcome::Kind::connect_error:
      return connect_error;
    case Outcome::Kind::status:
      return std::find(statuses.begin(), statuses.end(), o.status) != statuses.end();
  }
  return false;
}

const Model* Config::model(std::string_view name) const {
  auto it = models.find(name);
  return it == models.end() ? nullptr : &it->second;
}

const Route* Config::route(std::string_view name) const {
  for (const Route& r : routes) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

KeyDigest digest_key(std::string_view key) {
  // SHA256() looks the algorithm up in OpenSSL's provider registry and allocates a context on
  // every call, which costs more than hashing a key: the algorithm is fetched once, and each
  // thread keeps its context.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  KeyDigest d{};
  unsigned int size = 0;
  if (sha256 == nullptr || !context || EVP_DigestInit_ex(context.get(), sha256, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), key.data(), key.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), d.data(), &size) != 1) {
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), d.data());
  }
  return d;
}

Result<json> verify_artifact(std::string_view text, const gwctl::PublicKey* required_key) {
  gwctl::ArtifactCheck check = gwctl::check_artifact(text, required_key);
  if (!check.ok()) return {std::nullopt, std::move(check.message)};
  return {std::move(check.artifact), {}};
}

Result<std::shared_ptr<const Config>> load_config(const json& artifact, const SecretSource& secrets,
                                                  const std::string& base_dir) {
  auto config = std::make_shared<Config>();
  SecretResolver resolver{secrets, {}, {}};
  std::vector<std::string> problems;
  const json& c = at(artifact, "config");
  config->digest = str(artifact, "digest");
  config->environment = str(artifact, "environment");
  config->signed_by = str(at(artifact, "signature"), "key_id");

  const json& g = at(c, "gateway");
  Gateway& gw = config->gateway;
  gw.name = str(g, "name");
  gw.listen = str(g, "listen", gw.listen);
  gw.admin_listen = str(at(g, "admin"), "listen", gw.admin_listen);
  for (const json& ref : at(at(g, "admin"), "api_keys")) {
    std::string key = resolver.resolve(ref);
    if (!key.empty()) gw.admin_keys.push_back(digest_key(key));
  }
  const json& gl = at(g, "limits");
  gw.max_request_bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(0, num(gl, "max_request_bytes", 1 << 20)));
  gw.header_timeout = num(gl, "header_timeout", gw.header_timeout);
  gw.idle_timeout = num(gl, "idle_timeout", gw.idle_timeout);
  gw.rate_limit_store = str(g, "rate_limit_store", "local");

  std::map<std::string, std::size_t, std::less<>> provider_index;
  for (const auto& [name, p] : at(c, "providers").items()) {
    Provider provider;
    provider.name = name;
    std::string kind = str(p, "kind", "openai");
    provider.kind = kind == "azure-openai"        ? ProviderKind::azure_openai
                    : kind == "anthropic"         ? ProviderKind::anthropic
                    : kind == "openai-compatible" ? ProviderKind::openai_compatible
                                                  : ProviderKind::openai;
    auto url = parse_url(str(p, "base_url"));
    if (!url) {
      problems.push_back("provider '" + name + "' has a base_url gwd cannot connect to");
    } else {
      provider.base = *url;
    }
    if (at(p, "api_key").is_object()) provider.api_key = resolver.resolve(at(p, "api_key"));
    provider.api_version = str(p, "api_version");
    provider.auth_headers = auth_headers(provider);
    provider.tls_verify = at(at(p, "tls"), "verify") != false;
    provider.ca_file = str(at(p, "tls"), "ca_file");
    if (!provider.ca_file.empty() && std::filesystem::path(provider.ca_file).is_relative()) {
      provider.ca_file = (std::filesystem::path(base_dir) / provider.ca_file).string();
    }
    provider.connect_timeout = num(at(p, "timeouts"), "connect", provider.connect_timeout);
    provider.max_connections = static_cast<int>(std::clamp<std::int64_t>(num(p, "max_connections", 256), 1, 100000));
    provider_index[name] = config->providers.size();
    config->providers.push_back(std::move(provider));
  }

  for (const auto& [name, m] : at(c, "models").items()) {
    Model model;
    model.name = name;
    for (const json& d : at(m, "deployments")) {
      Deployment dep;
      std::string provider = str(d, "provider");
      auto it = provider_index.find(provider);
      if (it == provider_index.end()) {
        problems.push_back("model '" + name + "' names provider '" + provider + "', which is not defined");
        continue;
      }
      dep.provider = it->second;
      dep.id = str(d, "id");
      dep.weight = static_cast<int>(std::clamp<std::int64_t>(num(d, "weight", 10000), 0, 10000));
      dep.key = provider + "/" + dep.id;
      dep.id_json = json(dep.id).dump(-1, ' ', false, json::error_handler_t::replace);
      model.deployments.push_back(std::move(dep));
    }
    model.fallbacks = strings(m, "fallbacks");
    model.input_per_mtok = real(at(m, "pricing"), "input_per_mtok", 0);
    model.output_per_mtok = real(at(m, "pricing"), "output_per_mtok", 0);
    config->models.emplace(name, std::move(model));
  }

  for (const json& r : at(c, "routes")) {
    Route route;
    route.name = str(r, "name");
    const json& match = at(r, "match");
    route.path = str(match, "path");
    route.path_prefix = str(match, "path_prefix");
    route.methods = strings(match, "methods");
    for (const auto& [h, v] : at(match, "headers").items()) {
      if (v.is_string()) route.headers.emplace_back(lower(h), v.get<std::string>());
    }
    std::string auth = str(at(r, "auth"), "type", "api_key");
    route.auth = auth == "none" ? Route::Auth::none : auth == "jwt" ? Route::Auth::jwt : Route::Auth::api_key;
    route.models = strings(r, "models");
    route.default_model = str(r, "default_model");
    const json& res = at(r, "resilience");
    route.retries = static_cast<int>(num(res, "retries", route.retries));
    route.backoff_base = num(at(res, "backoff"), "base", route.backoff_base);
    route.backoff_max = num(at(res, "backoff"), "max", route.backoff_max);
    route.retry_on = outcomes(at(res, "retry_on"));
    route.fallback_on = outcomes(at(res, "fallback_on"));
    route.max_attempts = static_cast<int>(std::max<std::int64_t>(1, num(res, "max_attempts", route.max_attempts)));
    if (const json& e = at(res, "eject"); e.is_object()) {
      route.eject = Route::Eject{real(e, "error_rate", 1), std::max<Millis>(10, num(e, "window", 30000)),
                                 static_cast<int>(num(e, "min_requests", 20))};
    }
    const json& t = at(r, "timeouts");
    route.total_timeout = num(t, "total", route.total_timeout);
    route.first_byte_timeout = num(t, "first_byte", route.first_byte_timeout);
    route.idle_timeout = num(t, "idle", route.idle_timeout);
    route.limits = limits(at(r, "limits"));
    route.budget = budget(at(r, "budget"));
    name_counters("r:" + route.name, route.limits, route.budget);
    if (const json& resp = at(r, "respond"); resp.is_object()) {
      Route::Respond respond;
      respond.status = static_cast<int>(num(resp, "status", 200));
      respond.body = str(resp, "body");
      respond.content_type = str(resp, "content_type", "text/plain");
      for (const auto& [h, v] : at(resp, "headers").items()) {
        if (v.is_string()) respond.headers.emplace_back(h, v.get<std::string>());
      }
      // The artifact schema says the same, but gwd checks it here too: these go into response
      // heads as written (see http_io.cpp in the server).
      bool sendable = header_safe(respond.content_type);
      for (const auto& [h, v] : respond.headers) sendable = sendable && header_name(h) && header_safe(v);
      if (!sendable) {
        problems.push_back("route '" + route.name +
                           "': a respond header name or value cannot go into an HTTP response (a control "
                           "character or a line break?)");
      }
      route.respond = std::move(respond);
    }
    config->routes.push_back(std::move(route));
  }

  for (const json& cj : at(c, "consumers")) {
    Consumer consumer;
    consumer.name = str(cj, "name");
    for (const json& ref : at(cj, "api_keys")) {
      std::string key = resolver.resolve(ref);
      if (!key.empty()) consumer.keys.push_back(digest_key(key));
    }
    consumer.routes = strings(cj, "routes");
    consumer.models = strings(cj, "models");
    consumer.limits = limits(at(cj, "limits"));
    consumer.budget = budget(at(cj, "budget"));
    name_counters("c:" + consumer.name, consumer.limits, consumer.budget);
    config->consumers.push_back(std::move(consumer));
  }

  if (!resolver.missing.empty()) {
    std::string names;
    for (const std::string& n : resolver.missing) names += (names.empty() ? "'" : ", '") + n + "'";
    problems.insert(problems.begin(), std::string(resolver.missing.size() == 1 ? "secret " : "secrets ") + names +
                                          (resolver.missing.size() == 1 ? " is" : " are") +
                                          " missing or empty (set the environment variable or put a file of that "
                                          "name in --secrets-dir)");
  }
  if (!resolver.unsendable.empty()) {
    std::string names;
    for (const std::string& n : resolver.unsendable) names += (names.empty() ? "'" : ", '") + n + "'";
    problems.push_back(std::string(resolver.unsendable.size() == 1 ? "secret " : "secrets ") + names +
                       (resolver.unsendable.size() == 1 ? " holds" : " hold") +
                       " a control character (a line break inside the value?), which cannot go into an HTTP header");
  }
  if (!problems.empty()) {
    std::string message;
    for (const std::string& p : problems) message += (message.empty() ? "" : "; ") + p;
    return {std::nullopt, message};
  }
  return {std::shared_ptr<const Config>(std::move(config)), {}};
}

}  // namespace gwd
