#include <catch2/catch.hpp>

#include "fixture.hpp"
#include "gwctl/artifact.hpp"
#include "gwctl/pipeline.hpp"
#include "gwctl/project.hpp"
#include "gwctl/signing.hpp"
#include "gwctl/source.hpp"
#include "gwd/config.hpp"

using namespace gwd;
using json = nlohmann::json;

TEST_CASE("base URLs split into scheme, host, port and path, anything odd is refused") {
  auto u = parse_url("https://api.openai.com/v1/");
  REQUIRE(u);
  CHECK(u->tls);
  CHECK(u->host == "api.openai.com");
  CHECK(u->port == 443);
  CHECK(u->path == "/v1");
  auto l = parse_url("http://127.0.0.1:8000");
  REQUIRE(l);
  CHECK(!l->tls);
  CHECK(l->port == 8000);
  CHECK(l->path.empty());
  CHECK(!parse_url("ftp://x"));
  CHECK(!parse_url("http://user:pw@x/"));
  CHECK(!parse_url("http://x:99999/"));
  CHECK(!parse_url("http://x:/"));
  CHECK(!parse_url("http:///v1"));
}

TEST_CASE("the snapshot holds durations, limits, outcomes and resolved provider keys") {
  auto config = test::fixture();
  const Route& chat = *config->route("chat");
  CHECK(chat.total_timeout == 10000);
  CHECK(chat.retries == 2);
  CHECK(chat.retry_on.contains(Outcome::of_status(503)));
  CHECK(!chat.retry_on.contains(Outcome::of_status(502)));
  CHECK(chat.retry_on.contains(Outcome::timed_out()));
  CHECK(!chat.retry_on.contains(Outcome::connect_failed()));
  CHECK(chat.limits.size() == 2);
  CHECK(chat.limits[1].unit == Limit::Unit::tokens);
  CHECK(chat.limits[1].key == Limit::Key::route);
  CHECK(chat.eject->min_requests == 4);
  CHECK(config->providers.size() == 3);
  CHECK(config->model("gpt")->deployments[1].key == "azure/gpt-4o-canary");
  CHECK(config->gateway.max_request_bytes == 1024);
  CHECK(config->route("health")->respond->body == "ok");
}

TEST_CASE("missing or empty secrets are named together, and no secret value appears in the message") {
  auto result =
      load_config({{"config", test::fixture_config()}}, [](const std::string& name) -> std::optional<std::string> {
        if (name == "WEB_KEY") return std::string();
        if (name == "OPENAI_KEY") return std::string("sk-visible-value");
        if (name == "LAB_KEY_OLD") return std::nullopt;
        return std::string("x");
      });
  REQUIRE(!result.ok());
  CHECK(result.error ==
        "secrets 'LAB_KEY_OLD', 'WEB_KEY' are missing or empty (set the environment variable or put a file of that "
        "name in --secrets-dir)");
}

TEST_CASE("a secret with a line break is refused by name, since it would split the header it goes into") {
  auto result =
      load_config({{"config", test::fixture_config()}}, [](const std::string& name) -> std::optional<std::string> {
        if (name == "OPENAI_KEY") return std::string("sk-visible\r\nX-Injected: 1");
        return std::string("x");
      });
  REQUIRE(!result.ok());
  CHECK(result.error ==
        "secret 'OPENAI_KEY' holds a control character (a line break inside the value?), which cannot go into an "
        "HTTP header");
  CHECK(result.error.find("sk-visible") == std::string::npos);
}

TEST_CASE("a respond header that would split the response head is refused at load") {
  auto route_with = [](const std::string& field, const json& value) {
    json c = test::fixture_config();
    for (json& r : c["routes"]) {
      if (r["name"] == "health") r["respond"][field] = value;
    }
    return load_config({{"config", c}}, [](const std::string&) { return std::optional<std::string>("x"); });
  };
  const std::string refused =
      "route 'health': a respond header name or value cannot go into an HTTP response (a control character or a "
      "line break?)";
  CHECK(route_with("headers", {{"x-ok", "a\r\nset-cookie: evil=1"}}).error == refused);
  CHECK(route_with("headers", {{"x-a\r\nx-b", "1"}}).error == refused);
  CHECK(route_with("headers", {{"bad name", "1"}}).error == refused);
  CHECK(route_with("content_type", "text/plain\n\nbody").error == refused);
  CHECK(route_with("headers", {{"x-tag", "a\tb"}}).error == refused);  // a tab is a control character too
  CHECK(route_with("headers", {{"cache-control", "no-store, max-age=0"}}).ok());
}

TEST_CASE("a deployment of an undefined provider is refused at load") {
  json c = test::fixture_config();
  c["models"]["mini"]["deployments"][0]["provider"] = "nope";
  auto result = load_config({{"config", c}}, [](const std::string&) { return std::optional<std::string>("x"); });
  REQUIRE(!result.ok());
  CHECK(result.error == "model 'mini' names provider 'nope', which is not defined");
}

namespace {
// The example repository's dev artifact, compiled by the gwctl pipeline.
json example_artifact() {
  gwctl::DiskReader reader(std::string(GWD_SOURCE_DIR) + "/examples/acme");
  gwctl::Diagnostics diags;
  auto project = gwctl::load_project(reader, {}, diags);
  REQUIRE(project.ok());
  gwctl::Pipeline pipeline(*project);
  auto result = pipeline.run("dev", {}, gwctl::Stage::emit);
  REQUIRE(result.artifact.is_object());
  return result.artifact;
}
}  // namespace

TEST_CASE("an artifact is verified: JSON, schema, format and digest") {
  CHECK(verify_artifact("{nope").error == "the artifact is not valid JSON");
  CHECK(verify_artifact("{}").error.starts_with("the artifact does not match the artifact schema at '/'"));
  json artifact = example_artifact();
  auto good = verify_artifact(artifact.dump());
  INFO(good.error);
  CHECK(good.ok());
  artifact["config"]["gateway"]["name"] = "tampered";
  auto bad = verify_artifact(artifact.dump());
  CHECK(bad.error.starts_with("the artifact digest 'sha256:"));
  CHECK(bad.error.find("the file was changed after it was compiled") != std::string::npos);
}

TEST_CASE("with a required key, only an artifact signed by it verifies (gwd --require-signature)") {
  auto key = gwctl::SigningKey::generate();
  auto other = gwctl::SigningKey::generate();
  REQUIRE(key.ok());
  REQUIRE(other.ok());
  gwctl::PublicKey pub = key->public_key();
  json artifact = example_artifact();
  CHECK(verify_artifact(artifact.dump(), &pub).error ==
        "the artifact is not signed (expected a signature by key " + pub.key_id() + ")");
  gwctl::sign_artifact(artifact, *key);
  auto good = verify_artifact(artifact.dump(), &pub);
  INFO(good.error);
  REQUIRE(good.ok());
  auto loaded = load_config(*good.value, [](const std::string& name) { return std::optional<std::string>(name); });
  REQUIRE(loaded.ok());
  CHECK((*loaded.value)->signed_by == pub.key_id());

  json by_other = artifact;
  gwctl::sign_artifact(by_other, *other);
  CHECK(verify_artifact(by_other.dump(), &pub).error.starts_with("the artifact is signed by another key: "));
  json tampered = artifact;
  tampered["config"]["gateway"]["name"] = "tampered";
  CHECK(verify_artifact(tampered.dump(), &pub).error.find("does not match its content") != std::string::npos);
  // Without a required key the signature is not looked at.
  CHECK(verify_artifact(by_other.dump()).ok());
}

TEST_CASE("the example's dev artifact loads once every secret is set, relative ca_file paths from its folder") {
  auto result = load_config(
      example_artifact(), [](const std::string& name) { return std::optional<std::string>(name + "-v"); }, "/etc/gw");
  INFO(result.error);
  REQUIRE(result.ok());
  const Config& c = **result.value;
  CHECK(c.environment == "dev");
  CHECK(c.route("chat") != nullptr);
  bool found_ca = false;
  for (const Provider& p : c.providers) found_ca |= p.ca_file == "/etc/gw/certs/acme-internal-ca.pem";
  CHECK(found_ca);
}
