// GW4xx: auth and exposure. Who can reach a route, from where, and what leaks.
#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "checker.hpp"

namespace gwctl::policy {

namespace {

bool loopback_host(std::string_view host_port) {
  auto colon = host_port.rfind(':');
  std::string_view host = host_port.substr(0, colon);
  return host == "localhost" || host.starts_with("127.") || host == "[::1]" || host == "::1";
}

bool regex_like(std::string_view origin) {
  return origin.find_first_of("*\\()[]|+?$^") != std::string_view::npos;
}

void check_public_routes(Checker& c, const nlohmann::json& route, std::size_t r) {
  const auto& auth = sub(route, "auth");
  if (str(auth, "type", "api_key") != "none") return;
  bool declared = flag(auth, "public") && !str(auth, "reason").empty();
  if (declared) return;
  auto& d = c.report(
      "GW401", route_ptr(r) + "/auth/type",
      fmt::format("route '{}' has no authentication but is not declared public with a reason", str(route, "name")));
  d.hint = "authenticate it (type: api_key or jwt), or state the intent: public: true, reason: \"…\"";
}

void check_cors(Checker& c, const nlohmann::json& route, std::size_t r) {
  const auto* cors = field(route, "cors");
  if (!cors) return;
  auto origins = strings(*cors, "origins");
  bool credentials = flag(*cors, "credentials");
  for (std::size_t i = 0; i < origins.size(); ++i) {
    const std::string& o = origins[i];
    std::string p = fmt::format("{}/cors/origins/{}", route_ptr(r), i);
    std::string name = str(route, "name");
    if (o == "*") {
      if (credentials) {
        c.report("GW402", p,
                 fmt::format("route '{}' allows any origin with credentials: any web site can call it with its "
                             "visitors' cookies and keys",
                             name))
            .hint = "list the trusted origins explicitly, or set credentials: false";
      }
    } else if (o == "null") {
      c.report("GW402", p,
               fmt::format("route '{}' allows the origin 'null', which sandboxed iframes and local files send: any "
                           "page can obtain it",
                           name))
          .hint = "remove 'null' from the origins";
    } else if (o.starts_with("~")) {
      std::string_view re = std::string_view(o).substr(1);
      if (!re.starts_with("^") || !re.ends_with("$")) {
        c.report("GW402", p,
                 fmt::format("origin pattern '{}' of route '{}' is not anchored: 'https://app.acme.com.evil.example' "
                             "would match it",
                             o, name))
            .hint = "anchor the expression at both ends: '~^https://[a-z0-9-]+\\.acme\\.com$'";
      }
    } else if (regex_like(o)) {
      c.report("GW402", p,
               fmt::format("origin '{}' of route '{}' looks like a pattern but origins are compared exactly", o, name))
          .hint =
          "write an exact origin (scheme://host[:port]) or an anchored expression prefixed with '~', "
          "e.g. '~^https://[a-z0-9-]+\\.acme\\.com$'";
    }
  }
}

void check_jwt(Checker& c, const nlohmann::json& route, std::size_t r) {
  const auto& auth = sub(route, "auth");
  if (str(auth, "type") != "jwt") return;
  auto algs = strings(auth, "algorithms");
  bool symmetric = false, asymmetric = false;
  for (std::size_t i = 0; i < algs.size(); ++i) {
    if (algs[i] == "none") {
      c.report(
           "GW407", fmt::format("{}/auth/algorithms/{}", route_ptr(r), i),
           fmt::format("route '{}' accepts unsigned JWTs (alg: none): anyone can forge a token", str(route, "name")))
          .hint = "remove 'none'; accept only the algorithm your issuer signs with, e.g. [RS256]";
    } else if (algs[i].starts_with("HS")) {
      symmetric = true;
    } else {
      asymmetric = true;
    }
  }
  if (symmetric && asymmetric) {
    c.report("GW407", route_ptr(r) + "/auth/algorithms",
             fmt::format("route '{}' mixes HMAC (HS*) and public-key algorithms: a token signed with HS256 using the "
                         "public key as the secret would verify (algorithm confusion)",
                         str(route, "name")))
        .hint = "accept one family only, preferably public-key algorithms (RS*, PS*, ES*, EdDSA)";
  }
}

// The routes of the base layer by name, as written (not interpolated).
std::unordered_map<std::string, const Node*> base_routes(const Node* base) {
  std::unordered_map<std::string, const Node*> out;
  const Node* routes = base && base->is_map() ? base->get("routes") : nullptr;
  if (!routes || !routes->is_seq()) return out;
  for (const auto& item : routes->items) {
    const Node* n = item->is_map() ? item->get("name") : nullptr;
    if (n && n->is_scalar()) out.emplace(n->scalar_text(), item.get());
  }
  return out;
}

void check_weakened(Checker& c, const nlohmann::json& route, std::size_t r,
                    const std::unordered_map<std::string, const Node*>& base) {
  auto found = base.find(str(route, "name"));
  if (found == base.end()) return;
  const Node* before = found->second;
  const Node* auth = before->get("auth");
  auto text = [&](const char* key, const char* fallback) {
    const Node* n = auth && auth->is_map() ? auth->get(key) : nullptr;
    return n && n->is_scalar() ? n->scalar_text() : std::string(fallback);
  };
  std::string base_type = text("type", "api_key");
  bool base_public = text("public", "false") == "true";
  const auto& now = sub(route, "auth");
  std::string now_type = str(now, "type", "api_key");
  bool now_public = flag(now, "public");
  std::string name = str(route, "name");
  // Only a value an overlay wrote is blamed on it; the base's own choice is GW401's business.
  auto blame = [&](std::string_view field_path, std::string message) {
    std::string pointer = route_ptr(r) + std::string(field_path);
    const Node* written = find_pointer(c.config(), pointer);
    const Node* original = find_pointer(*before, field_path);
    if (!written || (original && written->span == original->span)) return;
    auto& d = c.report("GW410", pointer, std::move(message));
    if (original) d.notes.push_back({"the base layer sets it here", original->span});
    d.hint = "weaken auth in the base on purpose, reviewed, or keep the overlay's change out of this environment";
  };
  if (base_type != "none" && now_type == "none") {
    blame("/auth/type",
          fmt::format("an overlay turns authentication of route '{}' off (the base uses {})", name, base_type));
  }
  if (!base_public && now_public) {
    blame("/auth/public", fmt::format("an overlay makes route '{}' public", name));
  }
}

void check_admin(Checker& c) {
  const auto& admin = sub(sub(c.model(), "gateway"), "admin");
  std::string listen = str(admin, "listen", "127.0.0.1:9901");
  const auto* keys = field(admin, "api_keys");
  bool has_keys = keys && keys->is_array() && !keys->empty();
  if (!loopback_host(listen) && !has_keys) {
    c.report("GW405", "/gateway/admin/listen",
             fmt::format("the admin listener '{}' is reachable from the network without authentication; it serves "
                         "/config and /metrics",
                         listen))
        .hint = "listen on 127.0.0.1, or set gateway.admin.api_keys: [\"${secret:ADMIN_KEY}\"]";
  }
}

void check_consumers(Checker& c) {
  const auto& consumers = sub(c.model(), "consumers");
  for (std::size_t k = 0; consumers.is_array() && k < consumers.size(); ++k) {
    const auto& consumer = consumers[k];
    bool bounded = field(consumer, "budget") || !sub(consumer, "limits").empty();
    for (const char* scope : {"routes", "models"}) {
      auto granted = strings(consumer, scope);
      for (std::size_t i = 0; i < granted.size(); ++i) {
        if (granted[i] != "*") continue;
        auto& d =
            c.report("GW406", fmt::format("/consumers/{}/{}/{}", k, scope, i),
                     bounded ? fmt::format("consumer '{}' is granted every {} (\"*\")", str(consumer, "name"),
                                           std::string(scope) == "routes" ? "route" : "model")
                             : fmt::format("consumer '{}' is granted every {} (\"*\") and has no limit or budget",
                                           str(consumer, "name"), std::string(scope) == "routes" ? "route" : "model"),
                     bounded ? Severity::warning : Severity::error);
        d.hint = fmt::format("list the {} it needs; new ones should not be granted silently", scope);
      }
    }
  }
}

}  // namespace

void check_auth_route(Checker& c, const nlohmann::json& route, std::size_t r) {
  check_public_routes(c, route, r);
  check_cors(c, route, r);
  check_jwt(c, route, r);
}

void check_auth(Checker& c) {
  const auto& routes = sub(c.model(), "routes");
  auto base = base_routes(c.context().base);
  for (std::size_t r = 0; routes.is_array() && r < routes.size(); ++r) check_weakened(c, routes[r], r, base);
  check_admin(c);
  check_consumers(c);
}

}  // namespace gwctl::policy
