#include "gwd/request.hpp"

namespace gwd {

Admission admit(const Config& config, Limiter& limiter, const ClientRequest& request, Millis now) {
  using Stage = Admission::Stage;
  Admission a;
  a.route = match_route(config, request.method, target_path(request.target), request.headers);
  if (a.route == nullptr) {
    a.error = Error{404, "not_found", "no route matches this request"};
    return a;
  }
  const Route& route = *a.route;
  if (route.respond) {
    a.stage = Stage::respond;
    return a;
  }
  auto auth = authenticate(config, route, request.headers, request.key_memo);
  a.consumer = auth.consumer;
  if (auth.error) {
    a.stage = Stage::auth;
    a.error = std::move(auth.error);
    return a;
  }
  if (auto e = check_scope(route, a.consumer)) {
    a.stage = Stage::scope;
    a.error = std::move(e);
    return a;
  }
  if (auto e = limiter.admit(route, a.consumer, request.client_ip, now)) {
    a.stage = Stage::limit;
    a.error = std::move(e);
    return a;
  }
  auto parsed = parse_body(request.body);
  if (parsed.error) {
    a.stage = Stage::body;
    a.error = std::move(parsed.error);
    return a;
  }
  auto choice = choose_model(config, route, a.consumer, parsed.body);
  if (choice.error) {
    a.stage = Stage::model;
    a.error = std::move(choice.error);
    return a;
  }
  a.stage = Stage::forward;
  a.model = choice.model;
  a.body = std::move(parsed.body);
  return a;
}

PreparedAttempt prepare_attempt(const Config& config, const Model& model, const RequestBody& body,
                                const std::function<bool(const Deployment&)>& is_ejected, std::uint64_t random,
                                std::string_view target, const Headers& headers) {
  PreparedAttempt p;
  prepare_attempt(p, config, model, body, is_ejected, random, target, headers);
  return p;
}

void prepare_attempt(PreparedAttempt& out, const Config& config, const Model& model, const RequestBody& body,
                     const std::function<bool(const Deployment&)>& is_ejected, std::uint64_t random,
                     std::string_view target, const Headers& headers) {
  out.deployment = pick_deployment(model, is_ejected, random);
  out.provider = &config.providers[out.deployment->provider];
  rewrite_model(out.body, body, *out.deployment);
  build_upstream_request(out.request, *out.provider, *out.deployment, target, headers);
}

}  // namespace gwd
