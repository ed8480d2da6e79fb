// Request: gwd's per-request decision sequence in one place (DESIGN.md section 8), shared by
// the server and `gwctl test` so that what a route test asserts is what production does:
//
//   match route → (direct response) → authenticate → consumer scope → request limits
//   → body → model → [per attempt: deployment by weight → rewrite "model" → upstream request]
//
// `admit` takes a request as far as the upstream; each attempt of the retry / fallback plan
// (plan.hpp) then calls `prepare_attempt`. Neither does I/O; the limiter and the clock are
// parameters.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "gwd/config.hpp"
#include "gwd/decide.hpp"
#include "gwd/limits.hpp"
#include "gwd/upstream.hpp"

namespace gwd {

struct ClientRequest {
  std::string_view method;
  std::string_view target;  // path and query
  const Headers& headers;
  std::string_view body;
  std::string_view client_ip;
  KeyMemo* key_memo = nullptr;  // the client connection's (see authenticate)
};

struct Admission {
  // Where the sequence stopped: a refusal at `auth` … `model` (with `error`), the route's own
  // response (`respond`), or `forward` to the upstream plan.
  enum class Stage : std::uint8_t { no_route, respond, auth, scope, limit, body, model, forward };
  Stage stage = Stage::no_route;
  const Route* route = nullptr;
  const Consumer* consumer = nullptr;
  const Model* model = nullptr;  // the alias asked for (forward only)
  RequestBody body;              // the checked body, a view of the request's (forward only)
  std::optional<Error> error;    // the client's answer when refused (404 for no route)
};

Admission admit(const Config& config, Limiter& limiter, const ClientRequest& request, Millis now);

struct PreparedAttempt {
  const Deployment* deployment = nullptr;
  const Provider* provider = nullptr;
  UpstreamRequest request;
  std::string body;  // the client's body with "model" set to the deployment's id
};

// One attempt on `model`: a deployment by weight (see pick_deployment), the body's "model"
// rewritten to its id, and the upstream request for its provider.
PreparedAttempt prepare_attempt(const Config& config, const Model& model, const RequestBody& body,
                                const std::function<bool(const Deployment&)>& is_ejected, std::uint64_t random,
                                std::string_view target, const Headers& headers);
// The same, written over `out` (whose strings' capacity a caller can keep from request to
// request).
void prepare_attempt(PreparedAttempt& out, const Config& config, const Model& model, const RequestBody& body,
                     const std::function<bool(const Deployment&)>& is_ejected, std::uint64_t random,
                     std::string_view target, const Headers& headers);

}  // namespace gwd
