// Upstream: the request gwd sends to a provider, and what it reads back from the response
// (token usage, also from the last event of a server-sent-event stream, and its cost).
//
// The upstream path is the provider's base_url path followed by the operation: the client path
// after its first "/v1" segment ("/v1/chat/completions" → "/chat/completions"), or the whole
// client path when it has none. Per kind:
//   openai, openai-compatible  Authorization: Bearer KEY; base path + operation
//   azure-openai               api-key: KEY; "/openai/deployments/{id}" + operation
//                              + "?api-version=V" (a base path ending in /openai is not doubled)
//   anthropic                  x-api-key: KEY, anthropic-version: V; base path + operation
// The body's "model" is already the deployment id. Client credentials and hop-by-hop headers
// are never forwarded; other client headers are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "gwd/config.hpp"
#include "gwd/decide.hpp"

namespace gwd {

struct UpstreamRequest {
  std::string target;  // path and query
  // Without host and content-length: views of the client's headers and of the provider's
  // config, which must outlive this.
  boost::container::small_vector<std::pair<std::string_view, std::string_view>, 16> headers;
};

UpstreamRequest build_upstream_request(const Provider& provider, const Deployment& deployment,
                                       std::string_view client_target, const Headers& client_headers);
// The same, written over `out` (whose capacity a caller can keep from request to request).
void build_upstream_request(UpstreamRequest& out, const Provider& provider, const Deployment& deployment,
                            std::string_view client_target, const Headers& client_headers);

// The request as bytes on the wire: request line, Host (with the port when it is not the
// scheme's default), the headers in order, Content-Length, then the body. HTTP/1.1 keeps the
// connection open without a Connection header.
std::string upstream_wire(std::string_view method, const Provider& provider, const UpstreamRequest& request,
                          std::string_view body);
// The same, written over `out` (whose capacity a caller can keep from request to request).
void write_upstream_wire(std::string& out, std::string_view method, const Provider& provider,
                         const UpstreamRequest& request, std::string_view body);

// The operation part of a client path (see above).
std::string_view upstream_operation(std::string_view client_path);

struct Usage {
  std::int64_t input = 0;
  std::int64_t output = 0;
  std::int64_t total() const { return input + output; }
};

// From a response body's top-level "usage" (or "message"."usage"): prompt_tokens and
// completion_tokens (OpenAI) or input_tokens and output_tokens (Anthropic).
std::optional<Usage> usage_of_body(std::string_view body);

// Reads a server-sent-event stream piece by piece, remembering the usage of the last event
// that has one. Lines longer than 1 MiB are skipped.
class SseUsageScanner {
 public:
  void feed(std::string_view chunk);
  const std::optional<Usage>& usage() const { return usage_; }

 private:
  void line(std::string_view text);
  std::string partial_;
  bool skipping_ = false;
  std::optional<Usage> usage_;
};

// US dollars for the usage at the model's pricing.
double cost_usd(const Model& model, const Usage& usage);

}  // namespace gwd
