// Promotion (gwctl promote): the order of environments, a source that must come from a clean
// commit and be reproduced by it, parity drift, the promoted artifact; reading artifacts back
// (check_artifact); and which work-tree changes make an artifact dirty.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "gwctl/artifact.hpp"
#include "gwctl/promote.hpp"
#include "gwctl/signing.hpp"
#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;
using json = nlohmann::json;

namespace {

const std::string commit_a = "1111111111111111111111111111111111111111";

std::map<std::string, std::string> three_envs() {
  return {{"gwctl.yaml", "environments: [dev, staging, prod]\n"},
          {"base/gateway.yaml", minimal_base},
          {"flags/beta.yaml", "routes:\n  - name: chat\n    timeouts: {total: 10s}\n"},
          {"envs/dev.yaml", "gateway: {listen: '127.0.0.1:8080'}\n"},
          {"envs/staging.yaml", "gateway: {replicas: 2}\n"},
          {"envs/prod.yaml", "gateway: {replicas: 4}\n"}};
}

// A project as read from commit_a, and the artifacts it compiles.
struct AtCommit {
  Project project;
  Diagnostics load_diags;
  std::unique_ptr<Pipeline> pipeline;

  explicit AtCommit(const std::map<std::string, std::string>& files) {
    MemoryReader reader = reader_of(files);
    auto p = load_project(reader, {}, load_diags);
    if (!p) throw std::runtime_error(p.error().message);
    project = std::move(*p);
    project.commit = commit_a;
    project.dirty = false;
    pipeline = std::make_unique<Pipeline>(project);
  }
  json artifact(const std::string& env, std::vector<FlagOverride> overrides = {}) const {
    PipelineResult r = pipeline->run(env, overrides, Stage::emit);
    if (r.diags.has_errors()) throw std::runtime_error(rendered(r.diags, project.sources));
    return r.artifact;
  }
  Promotion promote(const json& source, const std::string& to, bool force = false) const {
    return gwctl::promote(*pipeline, load_diags, source, to, force);
  }
};

json redigest(json a) {
  a["digest"] = artifact_digest(a);
  return a;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Order

TEST_CASE("promotion goes to the next environment only, unless forced past some", "[promote]") {
  std::vector<std::string> envs{"dev", "staging", "prod"};
  bool forced = true;
  CHECK_FALSE(check_order(envs, "dev", "staging", false, &forced));
  CHECK_FALSE(forced);
  auto skip = check_order(envs, "dev", "prod", false, &forced);
  REQUIRE(skip);
  CHECK(skip->message ==
        "'prod' is not the next environment after 'dev' in the promotion order (dev → staging → prod): the next is "
        "'staging'; this would skip staging");
  CHECK(skip->hint == "promote to 'staging' first, or pass --force (recorded in the artifact as promoted_from.forced)");
  CHECK_FALSE(check_order(envs, "dev", "prod", true, &forced));
  CHECK(forced);
}

TEST_CASE("promotion never goes backwards or stays put, even forced", "[promote]") {
  std::vector<std::string> envs{"dev", "staging", "prod"};
  bool forced = false;
  auto back = check_order(envs, "prod", "staging", true, &forced);
  REQUIRE(back);
  CHECK(back->message ==
        "'staging' comes before 'prod' in the promotion order (dev → staging → prod); promotion only moves forward, "
        "even with --force");
  auto same = check_order(envs, "staging", "staging", true, &forced);
  REQUIRE(same);
  CHECK(same->message == "the artifact is already for 'staging'");
  CHECK_FALSE(forced);
  auto unknown = check_order(envs, "qa", "prod", true, &forced);
  REQUIRE(unknown);
  CHECK(unknown->message ==
        "the artifact's environment 'qa' is not in the promotion order of its commit (dev → "
        "staging → prod)");
}

// ---------------------------------------------------------------------------------------------
// The source

TEST_CASE("an artifact compiled outside Git or from uncommitted changes is not promotable", "[promote]") {
  AtCommit at(three_envs());
  json a = at.artifact("staging");
  CHECK_FALSE(check_promotable(a));
  json outside = a;
  outside["source"]["commit"] = nullptr;
  outside["source"]["dirty"] = nullptr;
  auto r = check_promotable(outside);
  REQUIRE(r);
  CHECK(r->message ==
        "the 'staging' artifact was not compiled from a Git commit (source.commit is null), so its "
        "config cannot be read back from history");
  json dirty = a;
  dirty["source"]["dirty"] = true;
  r = check_promotable(dirty);
  REQUIRE(r);
  CHECK(r->message ==
        "the 'staging' artifact was compiled from uncommitted changes (source.dirty is true): commit "
        "111111111111 does not hold what it was compiled from");
  CHECK(r->hint ==
        "commit the changes, compile 'staging' again from the clean work tree (or with --ref), and promote that "
        "artifact");
}

TEST_CASE("an artifact the commit does not reproduce is refused, naming what differs", "[promote]") {
  AtCommit at(three_envs());
  json edited = at.artifact("staging");
  edited["config"]["gateway"]["replicas"] = 9;
  edited = redigest(edited);  // a careful hand edit: the digest checks out
  auto p = at.promote(edited, "prod");
  REQUIRE(p.outcome == Promotion::Outcome::refused);
  CHECK(p.refusal.message.starts_with(
      "the 'staging' artifact is not what commit 111111111111 compiles for 'staging': its config differs from the "
      "commit's compile (digest sha256:"));

  json other_files = at.artifact("staging");
  other_files["source"]["files"][0]["sha256"] = std::string(64, 'a');
  p = at.promote(redigest(other_files), "prod");
  REQUIRE(p.outcome == Promotion::Outcome::refused);
  CHECK(p.refusal.message.find("its source files differ from the commit's (base/gateway.yaml)") != std::string::npos);
}

TEST_CASE("an artifact compiled with a command-line flag override is refused", "[promote]") {
  AtCommit at(three_envs());
  json with_beta = at.artifact("staging", {{"beta", true}});
  auto p = at.promote(with_beta, "prod");
  REQUIRE(p.outcome == Promotion::Outcome::refused);
  CHECK(p.refusal.message ==
        "the 'staging' artifact was compiled with command-line flag overrides (--flag beta); "
        "promote compiles each environment as its overlay configures it");
}

// ---------------------------------------------------------------------------------------------
// The target

TEST_CASE("a promoted artifact is the target compiled at the commit, with promoted_from and a fresh digest",
          "[promote]") {
  AtCommit at(three_envs());
  json source = at.artifact("staging");
  auto p = at.promote(source, "prod");
  REQUIRE(p.outcome == Promotion::Outcome::promoted);
  CHECK_FALSE(p.forced);
  CHECK(p.artifact["promoted_from"] == json({{"environment", "staging"}, {"digest", source["digest"]}}));
  json direct = at.artifact("prod");
  CHECK(p.artifact["config"] == direct["config"]);
  CHECK(p.artifact["source"] == direct["source"]);
  CHECK(p.artifact["source"]["commit"] == commit_a);
  CHECK(p.artifact["digest"] != direct["digest"]);
  ArtifactCheck back = check_artifact(p.text);
  INFO(back.message);
  CHECK(back.ok());
  CHECK(p.text == canonical_json(p.artifact));
}

TEST_CASE("a forced promotion is recorded, and a promoted artifact can be promoted again", "[promote]") {
  AtCommit at(three_envs());
  auto forced = at.promote(at.artifact("dev"), "prod", true);
  REQUIRE(forced.outcome == Promotion::Outcome::promoted);
  CHECK(forced.artifact["promoted_from"]["forced"] == true);
  CHECK(check_artifact(forced.text).ok());

  auto to_staging = at.promote(at.artifact("dev"), "staging");
  REQUIRE(to_staging.outcome == Promotion::Outcome::promoted);
  CHECK_FALSE(to_staging.artifact["promoted_from"].contains("forced"));
  auto to_prod = at.promote(to_staging.artifact, "prod");
  REQUIRE(to_prod.outcome == Promotion::Outcome::promoted);
  CHECK(to_prod.artifact["promoted_from"]["environment"] == "staging");
  CHECK(to_prod.artifact["promoted_from"]["digest"] == to_staging.artifact["digest"]);
}

TEST_CASE("drift outside parity.may_differ stops a promotion with both values", "[promote][parity]") {
  auto files = three_envs();
  files["envs/prod.yaml"] = "gateway: {replicas: 4}\nroutes:\n  - name: chat\n    timeouts: {total: 30s}\n";
  AtCommit at(files);
  auto p = at.promote(at.artifact("staging"), "prod");
  REQUIRE(p.outcome == Promotion::Outcome::drift);
  REQUIRE(p.drift.size() == 1);
  CHECK(p.drift[0].where == "routes[chat].timeouts.total");
  REQUIRE(p.drift[0].values.size() == 2);
  CHECK(p.drift[0].values[0].env == "staging");
  CHECK(p.drift[0].values[0].text == "60s");
  CHECK(p.drift[0].values[1].env == "prod");
  CHECK(p.drift[0].values[1].text == "30s");
  CHECK(p.artifact.is_null());
  CHECK(p.text.empty());
}

TEST_CASE("a target environment with errors is not written", "[promote]") {
  auto files = three_envs();
  files["envs/prod.yaml"] = "gateway: {replicas: many}\n";
  AtCommit at(files);
  auto p = at.promote(at.artifact("staging"), "prod");
  REQUIRE(p.outcome == Promotion::Outcome::errors);
  CHECK(p.env == "prod");
  CHECK(p.diags.has_errors());
  CHECK(p.text.empty());
}

// ---------------------------------------------------------------------------------------------
// Reading artifacts back

TEST_CASE("a promoted artifact reads back only with forced true or absent", "[artifact][promote]") {
  AtCommit at(three_envs());
  json a = at.artifact("prod");
  a["promoted_from"] = {{"environment", "staging"}, {"digest", a["digest"]}, {"forced", true}};
  CHECK(check_artifact(canonical_json(redigest(a))).ok());
  a["promoted_from"]["forced"] = false;
  CHECK(check_artifact(canonical_json(redigest(a))).status == ArtifactCheck::Status::invalid);
}

// ---------------------------------------------------------------------------------------------
// Dirty work trees

TEST_CASE("layer_of_path maps a config-root path to the layer that reads it", "[project]") {
  ProjectSettings s;
  CHECK(layer_of_path(s, "gwctl.yaml") == "project");
  CHECK(layer_of_path(s, "base/routes.yaml") == "base");
  CHECK(layer_of_path(s, "base/nested/routes.yaml") == "");
  CHECK(layer_of_path(s, "base/notes.txt") == "");
  CHECK(layer_of_path(s, "envs/prod.yaml") == "env:prod");
  CHECK(layer_of_path(s, "envs/prod/limits.yml") == "env:prod");
  CHECK(layer_of_path(s, "envs/prod/deep/limits.yaml") == "");
  CHECK(layer_of_path(s, "flags/beta.yaml") == "flag:beta");
  CHECK(layer_of_path(s, "prod.json") == "");
  CHECK(layer_of_path(s, "rules/team.yaml") == "");
  s.envs_dir = "environments";
  CHECK(layer_of_path(s, "environments/dev.yaml") == "env:dev");
  CHECK(layer_of_path(s, "envs/dev.yaml") == "");
}

TEST_CASE("an artifact is dirty only when a file it is compiled from is uncommitted", "[artifact][project]") {
  AtCommit at(three_envs());
  auto dirty_of = [&](std::vector<std::string> changed, const std::string& env, std::vector<FlagOverride> o = {}) {
    at.project.uncommitted = std::move(changed);
    Pipeline pipeline(at.project);
    return pipeline.source_info(pipeline.resolve(env, o, nullptr)).dirty;
  };
  CHECK(dirty_of({}, "prod") == false);
  CHECK(dirty_of({"envs/staging.yaml", "prod.json", "README.md"}, "prod") == false);
  CHECK(dirty_of({"envs/prod.yaml"}, "prod") == true);
  CHECK(dirty_of({"base/deleted.yaml"}, "prod") == true);
  CHECK(dirty_of({"gwctl.yaml"}, "dev") == true);
  CHECK(dirty_of({"flags/beta.yaml"}, "prod") == false);
  CHECK(dirty_of({"flags/beta.yaml"}, "prod", {{"beta", true}}) == true);
}
