// A small config snapshot for the decision tests: two providers, three models, three routes,
// two consumers, keys "key-web" and "key-lab".
#pragma once

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "gwd/config.hpp"

namespace gwd::test {

inline nlohmann::json fixture_config() {
  return nlohmann::json::parse(R"({
  "gateway": {"name": "t", "listen": "127.0.0.1:8080", "admin": {"listen": "127.0.0.1:9901"},
              "limits": {"max_request_bytes": 1024, "header_timeout": 1000, "idle_timeout": 5000},
              "rate_limit_store": "local", "replicas": 1},
  "providers": {
    "openai": {"kind": "openai", "base_url": "https://api.openai.com/v1", "api_key": {"$secret": "OPENAI_KEY"},
               "tls": {"verify": true}, "timeouts": {"connect": 2000}, "max_connections": 8},
    "azure": {"kind": "azure-openai", "base_url": "http://127.0.0.1:9/openai", "api_key": {"$secret": "AZURE_KEY"},
              "api_version": "2024-10-21", "tls": {"verify": true}, "timeouts": {"connect": 2000}, "max_connections": 8},
    "claude": {"kind": "anthropic", "base_url": "https://api.anthropic.com/v1", "api_key": {"$secret": "ANTHROPIC_KEY"},
               "api_version": "2023-06-01", "tls": {"verify": false}, "timeouts": {"connect": 2000}, "max_connections": 8}
  },
  "models": {
    "gpt": {"deployments": [{"provider": "openai", "id": "gpt-4o-2024-11-20", "weight": 9000},
                            {"provider": "azure", "id": "gpt-4o-canary", "weight": 1000}],
            "fallbacks": ["mini", "sonnet"], "pricing": {"input_per_mtok": 2.5, "output_per_mtok": 10.0}},
    "mini": {"deployments": [{"provider": "openai", "id": "gpt-4o-mini-2024-07-18", "weight": 10000}], "fallbacks": ["gpt"]},
    "sonnet": {"deployments": [{"provider": "claude", "id": "claude-3-5-sonnet-20241022", "weight": 10000}]}
  },
  "routes": [
    {"name": "health", "match": {"path": "/healthz", "methods": ["GET"]}, "auth": {"type": "none", "public": true},
     "respond": {"status": 200, "body": "ok", "content_type": "text/plain", "headers": {}}},
    {"name": "research", "match": {"path": "/v1/chat/completions", "methods": ["POST"], "headers": {"x-team": "research"}},
     "auth": {"type": "api_key"}, "models": ["gpt", "sonnet"], "default_model": "sonnet"},
    {"name": "chat", "match": {"path": "/v1/chat/completions", "methods": ["POST"]}, "auth": {"type": "api_key"},
     "models": ["gpt", "mini", "sonnet"], "default_model": "mini",
     "resilience": {"retries": 2, "backoff": {"base": 100, "max": 300}, "retry_on": [429, 500, 503, "timeout"],
                    "fallback_on": [500, 503, "timeout", "connect_error"], "max_attempts": 5,
                    "eject": {"error_rate": 0.5, "window": 10000, "min_requests": 4}},
     "timeouts": {"total": 10000, "first_byte": 2000, "idle": 1000},
     "limits": [{"requests": 2, "per": 1000, "key": "consumer"}, {"tokens": 100, "per": 60000, "key": "route"}],
     "budget": {"usd": 1.0, "per": 86400000}},
    {"name": "files", "match": {"path_prefix": "/v1/files"}, "auth": {"type": "api_key"}, "models": ["mini"],
     "default_model": "mini"},
    {"name": "sso", "match": {"path_prefix": "/admin/"}, "auth": {"type": "jwt"}, "models": ["mini"], "default_model": "mini"}
  ],
  "consumers": [
    {"name": "web", "api_keys": [{"$secret": "WEB_KEY"}], "routes": ["chat", "files"], "models": ["gpt", "mini"],
     "limits": [{"requests": 100, "per": 60000}]},
    {"name": "lab", "api_keys": [{"$secret": "LAB_KEY"}, {"$secret": "LAB_KEY_OLD"}], "routes": ["*"], "models": ["*"],
     "budget": {"usd": 0.5, "per": 86400000}}
  ]
})");
}

inline std::map<std::string, std::string> fixture_secrets() {
  return {{"OPENAI_KEY", "sk-openai"}, {"AZURE_KEY", "az-key"}, {"ANTHROPIC_KEY", "ant-key"},
          {"WEB_KEY", "key-web"},      {"LAB_KEY", "key-lab"},  {"LAB_KEY_OLD", "key-lab-old"}};
}

inline std::shared_ptr<const Config> fixture() {
  auto secrets = fixture_secrets();
  auto result = load_config({{"config", fixture_config()}, {"digest", "sha256:test"}, {"environment", "test"}},
                            [&](const std::string& name) -> std::optional<std::string> {
                              auto it = secrets.find(name);
                              if (it == secrets.end()) return std::nullopt;
                              return it->second;
                            });
  if (!result.ok()) throw std::runtime_error(result.error);
  return *result.value;
}

}  // namespace gwd::test
