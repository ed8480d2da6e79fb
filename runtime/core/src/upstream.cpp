#include "gwd/upstream.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

#include "json_scan.hpp"
#include "text.hpp"

namespace gwd {

namespace {

using detail::iequals;

// Headers never forwarded: hop-by-hop ones, the ones gwd sets itself, client credentials, and
// Expect (gwd sends the whole body at once; a provider's 100 Continue is skipped anyway).
constexpr std::array<std::string_view, 18> dropped = {"connection",
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
                                                      "cookie",
                                                      "expect"};

// Bit n is set when a dropped name has n bytes: most forwarded headers are told apart by their
// length alone.
constexpr std::uint64_t dropped_lengths = [] {
  std::uint64_t bits = 0;
  for (std::string_view d : dropped) bits |= std::uint64_t{1} << d.size();
  return bits;
}();

bool is_dropped(std::string_view name) {
  if (name.size() >= 64 || (dropped_lengths >> name.size() & 1) == 0) return false;
  return std::any_of(dropped.begin(), dropped.end(), [&](std::string_view d) { return iequals(d, name); });
}

// An integer member (no fraction or exponent, as nlohmann's is_number_integer) of a scanned
// object.
std::optional<std::int64_t> count(const detail::JsonScan& object, std::string_view key) {
  const detail::JsonMember* m = detail::last_member(object, key);
  if (m == nullptr) return std::nullopt;
  std::int64_t value = 0;
  const char* end = m->value.data() + m->value.size();
  auto [stop, ec] = std::from_chars(m->value.data(), end, value);
  if (ec != std::errc() || stop != end) return std::nullopt;
  return value;
}

// The usage of a response object's text. Anthropic streams report it inside "message"
// (message_start events), which is followed a few levels down at most.
std::optional<Usage> usage_in(std::string_view text, int depth) {
  static const std::vector<std::string_view> keys = {"usage", "message"};
  detail::JsonScan response = detail::scan_json(text, keys);
  if (!response.valid || !response.object) return std::nullopt;
  const detail::JsonMember* usage = detail::last_member(response, "usage");
  if (usage == nullptr || usage->value.front() != '{') {
    const detail::JsonMember* message = detail::last_member(response, "message");
    if (message != nullptr && message->value.front() == '{' && depth < 4) return usage_in(message->value, depth + 1);
    return std::nullopt;
  }
  static const std::vector<std::string_view> names = {"prompt_tokens", "completion_tokens", "input_tokens",
                                                      "output_tokens", "total_tokens"};
  detail::JsonScan u = detail::scan_json(usage->value, names);
  Usage out;
  if (auto in = count(u, "prompt_tokens")) {
    out.input = *in;
    out.output = count(u, "completion_tokens").value_or(0);
    return out;
  }
  if (auto in = count(u, "input_tokens")) {
    out.input = *in;
    out.output = count(u, "output_tokens").value_or(0);
    return out;
  }
  if (auto output = count(u, "output_tokens")) {
    out.output = *output;
    return out;
  }
  if (auto total = count(u, "total_tokens")) {
    out.input = *total;
    return out;
  }
  return std::nullopt;
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
  build_upstream_request(out, provider, deployment, client_target, client_headers);
  return out;
}

void build_upstream_request(UpstreamRequest& out, const Provider& provider, const Deployment& deployment,
                            std::string_view client_target, const Headers& client_headers) {
  out.target.clear();
  out.headers.clear();
  std::string_view path = target_path(client_target);
  std::string_view query =
      path.size() < client_target.size() ? client_target.substr(path.size() + 1) : std::string_view{};
  std::string_view op = upstream_operation(path);
  out.headers.reserve(client_headers.items.size() + provider.auth_headers.size() + 1);
  for (const auto& header : client_headers.items) {
    if (!is_dropped(header.first)) out.headers.emplace_back(header);
  }
  out.headers.emplace_back("accept-encoding", "identity");
  for (const auto& [name, value] : provider.auth_headers) out.headers.emplace_back(name, value);
  if (provider.kind == ProviderKind::azure_openai) {
    std::string_view base = provider.base.path;
    if (base.ends_with("/openai")) base.remove_suffix(7);
    out.target.append(base).append("/openai/deployments/").append(deployment.id).append(op);
    out.target.append("?api-version=").append(provider.api_version);
    if (!query.empty()) out.target.append("&").append(query);
    return;
  }
  out.target.append(provider.base.path).append(op);
  if (out.target.empty()) out.target = "/";
  if (!query.empty()) out.target.append("?").append(query);
}

std::string upstream_wire(std::string_view method, const Provider& provider, const UpstreamRequest& request,
                          std::string_view body) {
  std::string out;
  write_upstream_wire(out, method, provider, request, body);
  return out;
}

void write_upstream_wire(std::string& out, std::string_view method, const Provider& provider,
                         const UpstreamRequest& request, std::string_view body) {
  out.clear();
  std::size_t size = method.size() + request.target.size() + provider.base.host.size() + body.size() + 64;
  for (const auto& [name, value] : request.headers) size += name.size() + value.size() + 4;
  out.reserve(size);
  out.append(method).append(" ").append(request.target).append(" HTTP/1.1\r\nHost: ").append(provider.base.host);
  if (provider.base.port != (provider.base.tls ? 443 : 80)) out.append(":").append(std::to_string(provider.base.port));
  out.append("\r\n");
  for (const auto& [name, value] : request.headers) out.append(name).append(": ").append(value).append("\r\n");
  char length[24];
  auto [end, ec] = std::to_chars(length, length + sizeof length, body.size());
  out.append("Content-Length: ").append(length, end).append("\r\n\r\n").append(body);
}

std::optional<Usage> usage_of_body(std::string_view body) {
  // Only "usage" (or "message") of the top-level object is read: the choices, often most of
  // the body, are only checked.
  return usage_in(body, 0);
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
