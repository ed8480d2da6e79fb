#include "gwd/upstream.hpp"

#include <algorithm>
#include <array>

#include "text.hpp"

namespace gwd {

namespace {

using json = nlohmann::json;

using detail::iequals;

// Headers never forwarded: hop-by-hop ones, the ones gwd sets itself, and client credentials.
constexpr std::array<std::string_view, 17> dropped = {"connection",
                                                      "keep-alive",
                                                      "proxy-connection",
                                                      "transfer-encoding",
                                                      "te",
                                                      "trailer",
                                                      "upgrade",
                                                      "proxy-authorization",
                                                      "proxy-authenticate",
                                                      "host",
                                                      "content-length",
                                                      "authorization",
                                                      "x-api-key",
                                                      "api-key",
                                                      "anthropic-version",
                                                      "accept-encoding",
                                                      "cookie"};

std::optional<std::int64_t> count(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

}  // namespace

std::string_view upstream_operation(std::string_view client_path) {
  for (std::size_t at = client_path.find("/v1"); at != std::string_view::npos; at = client_path.find("/v1", at + 1)) {
    std::size_t end = at + 3;
    if (end == client_path.size()) return "";
    if (client_path[end] == '/') return client_path.substr(end);
  }
  return client_path;
}

UpstreamRequest build_upstream_request(const Provider& provider, const Deployment& deployment,
                                       std::string_view client_target, const Headers& client_headers) {
  UpstreamRequest out;
  std::string_view path = target_path(client_target);
  std::string_view query =
      path.size() < client_target.size() ? client_target.substr(path.size() + 1) : std::string_view{};
  std::string_view op = upstream_operation(path);
  for (const auto& [name, value] : client_headers.items) {
    bool drop = std::any_of(dropped.begin(), dropped.end(), [&](std::string_view d) { return iequals(d, name); });
    if (!drop) out.headers.emplace_back(std::string(name), std::string(value));
  }
  out.headers.emplace_back("accept-encoding", "identity");
  switch (provider.kind) {
    case ProviderKind::azure_openai: {
      std::string_view base = provider.base.path;
      if (base.ends_with("/openai")) base.remove_suffix(7);
      out.target = std::string(base) + "/openai/deployments/" + deployment.id + std::string(op);
      out.target += "?api-version=" + provider.api_version;
      if (!query.empty()) out.target += "&" + std::string(query);
      if (!provider.api_key.empty()) out.headers.emplace_back("api-key", provider.api_key);
      return out;
    }
    case ProviderKind::anthropic:
      if (!provider.api_key.empty()) out.headers.emplace_back("x-api-key", provider.api_key);
      out.headers.emplace_back("anthropic-version", provider.api_version.empty() ? "2023-06-01" : provider.api_version);
      break;
    case ProviderKind::openai:
    case ProviderKind::openai_compatible:
      if (!provider.api_key.empty()) out.headers.emplace_back("authorization", "Bearer " + provider.api_key);
      break;
  }
  out.target = provider.base.path + std::string(op);
  if (out.target.empty()) out.target = "/";
  if (!query.empty()) out.target += "?" + std::string(query);
  return out;
}

std::string upstream_wire(std::string_view method, const Provider& provider, const UpstreamRequest& request,
                          std::string_view body) {
  std::string out;
  std::size_t size = method.size() + request.target.size() + provider.base.host.size() + body.size() + 64;
  for (const auto& [name, value] : request.headers) size += name.size() + value.size() + 4;
  out.reserve(size);
  out.append(method).append(" ").append(request.target).append(" HTTP/1.1\r\nHost: ").append(provider.base.host);
  if (provider.base.port != (provider.base.tls ? 443 : 80)) out.append(":").append(std::to_string(provider.base.port));
  out.append("\r\n");
  for (const auto& [name, value] : request.headers) out.append(name).append(": ").append(value).append("\r\n");
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n").append(body);
  return out;
}

std::optional<Usage> usage_of(const json& response) {
  if (!response.is_object()) return std::nullopt;
  auto it = response.find("usage");
  if (it == response.end() || !it->is_object()) {
    // Anthropic streams report usage inside "message" (message_start) events.
    auto message = response.find("message");
    if (message != response.end() && message->is_object()) return usage_of(*message);
    return std::nullopt;
  }
  const json& u = *it;
  Usage usage;
  if (auto in = count(u, "prompt_tokens")) {
    usage.input = *in;
    usage.output = count(u, "completion_tokens").value_or(0);
    return usage;
  }
  if (auto in = count(u, "input_tokens")) {
    usage.input = *in;
    usage.output = count(u, "output_tokens").value_or(0);
    return usage;
  }
  if (auto out = count(u, "output_tokens")) {
    usage.output = *out;
    return usage;
  }
  if (auto total = count(u, "total_tokens")) {
    usage.input = *total;
    return usage;
  }
  return std::nullopt;
}

std::optional<Usage> usage_of_body(std::string_view body) {
  // Only "usage" and "message" of the top-level object are kept: the choices, often most of
  // the body, are read but never built.
  json::parser_callback_t keep = [](int depth, json::parse_event_t event, json& parsed) {
    if (event != json::parse_event_t::key || depth != 1) return true;
    return parsed == "usage" || parsed == "message";
  };
  json response = json::parse(body, keep, false);
  if (response.is_discarded()) return std::nullopt;
  return usage_of(response);
}

void SseUsageScanner::feed(std::string_view chunk) {
  constexpr std::size_t max_line = 1 << 20;
  while (!chunk.empty()) {
    auto nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      if (!skipping_) {
        partial_.append(chunk);
        if (partial_.size() > max_line) {
          partial_.clear();
          skipping_ = true;
        }
      }
      return;
    }
    if (!skipping_) {
      if (partial_.empty()) {
        line(chunk.substr(0, nl));
      } else {
        partial_.append(chunk.substr(0, nl));
        line(partial_);
        partial_.clear();
      }
    }
    skipping_ = false;
    chunk.remove_prefix(nl + 1);
  }
}

void SseUsageScanner::line(std::string_view text) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (!text.starts_with("data:")) return;
  text.remove_prefix(5);
  if (text.find("\"usage\"") == std::string_view::npos) return;
  if (auto u = usage_of_body(text)) {
    // Anthropic reports input tokens at the start and output tokens at the end: keep both.
    if (usage_ && u->input == 0) u->input = usage_->input;
    usage_ = u;
  }
}

double cost_usd(const Model& model, const Usage& usage) {
  return (static_cast<double>(usage.input) * model.input_per_mtok +
          static_cast<double>(usage.output) * model.output_per_mtok) /
         1e6;
}

}  // namespace gwd
