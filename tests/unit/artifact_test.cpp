#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "gwctl/artifact.hpp"
#include "gwctl/schema.hpp"
#include "gwctl/validate.hpp"
#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;
using json = nlohmann::json;

namespace {
std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Validates an artifact against the artifact schema with the same validator as configs.
std::string artifact_errors(const json& artifact) {
  Diagnostics d;
  validate(from_json(artifact), Schema::artifact(), d);
  return messages(d);
}
}  // namespace

TEST_CASE("canonical JSON sorts keys, indents two spaces and ends with a newline", "[artifact]") {
  json v = json::parse(R"({"b": 1, "a": {"d": 2.5, "c": [1, "x"]}})");
  CHECK(canonical_json(v) ==
        "{\n  \"a\": {\n    \"c\": [\n      1,\n      \"x\"\n    ],\n    \"d\": 2.5\n  },\n  \"b\": 1\n}\n");
}

TEST_CASE("parsing the canonical form and emitting it again gives the same bytes", "[artifact]") {
  auto c = compile(project_with("gateway: {replicas: 2}\n"), "prod");
  REQUIRE_FALSE(c->has_errors());
  std::string once = canonical_json(c->result.artifact);
  CHECK(canonical_json(json::parse(once)) == once);
}

TEST_CASE("the digest covers everything but digest and signature", "[artifact]") {
  auto c = compile(project_with("gateway: {replicas: 2}\n"), "prod");
  json a = c->result.artifact;
  CHECK(a["digest"] == artifact_digest(a));
  json signed_a = a;
  signed_a["signature"] = {{"algorithm", "ed25519"}, {"key_id", "k"}, {"value", "AAAA"}};
  CHECK(artifact_digest(signed_a) == a["digest"]);
  json changed = a;
  changed["config"]["gateway"]["replicas"] = 3;
  CHECK(artifact_digest(changed) != a["digest"]);
}

TEST_CASE("compiling the same inputs twice gives byte-identical artifacts", "[artifact][determinism]") {
  auto files = project_with("gateway: {replicas: 2}\n");
  auto a = compile(files, "prod");
  auto b = compile(files, "prod");
  CHECK(canonical_json(a->result.artifact) == canonical_json(b->result.artifact));
}

TEST_CASE("the artifact envelope records environment, flags and hashed source files", "[artifact]") {
  auto c = compile(project_with("gateway: {replicas: 2}\n"), "prod");
  const json& a = c->result.artifact;
  CHECK(a["format"] == "gwctl.artifact/v1");
  CHECK(a["environment"] == "prod");
  CHECK(a["flags"] == json::array());
  CHECK(a["promoted_from"].is_null());
  CHECK(a["signature"].is_null());
  std::vector<std::string> paths;
  for (const auto& f : a["source"]["files"]) paths.push_back(f["path"]);
  CHECK(paths == std::vector<std::string>{"base/gateway.yaml", "envs/prod.yaml", "gwctl.yaml"});
  CHECK(a["source"]["files"][0]["sha256"] == sha256_hex(minimal_base));
}

TEST_CASE("every artifact of the bundled example validates against the artifact schema", "[artifact][example]") {
  DiskReader reader(std::filesystem::path(GWCTL_SOURCE_DIR) / "examples/acme");
  Diagnostics load_diags;
  auto p = load_project(reader, {}, load_diags);
  REQUIRE(p);
  REQUIRE_FALSE(load_diags.has_errors());
  Pipeline pipeline(*p);
  for (const auto& env : p->settings.environments) {
    for (const auto& flags : std::vector<std::vector<FlagOverride>>{{}, {{"files-api", true}}}) {
      PipelineResult r = pipeline.run(env, flags, Stage::emit);
      INFO(env << " " << messages(r.diags));
      REQUIRE_FALSE(r.artifact.is_null());
      CHECK(artifact_errors(r.artifact) == "");
    }
  }
}

TEST_CASE("a tampered artifact fails the artifact schema", "[artifact]") {
  auto c = compile(project_with("gateway: {replicas: 2}\n"), "prod");
  json a = c->result.artifact;
  a["config"]["gateway"]["limits"]["header_timeout"] = "10s";
  a["digest"] = "md5:abc";
  std::string errors = artifact_errors(a);
  CHECK(errors.find("digest") != std::string::npos);
  CHECK(errors.find("header_timeout") != std::string::npos);
}

TEST_CASE("atomic writes replace the whole file and leave no temporary behind", "[artifact]") {
  auto dir = std::filesystem::temp_directory_path() / "gwctl-atomic-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto target = (dir / "out.json").string();
  REQUIRE(write_file_atomic(target, "first\n"));
  REQUIRE(write_file_atomic(target, "second\n"));
  CHECK(read_file(target) == "second\n");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++entries;
  CHECK(entries == 1);
  auto missing = write_file_atomic((dir / "no/such/dir/out.json").string(), "x");
  CHECK_FALSE(missing);
  std::filesystem::remove_all(dir);
}

TEST_CASE("an atomic write to a pipe or device writes into it, one to a directory is refused", "[artifact]") {
  auto dir = std::filesystem::temp_directory_path() / "gwctl-atomic-special";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  // (Not /dev/null itself: if this broke, the test would replace the machine's /dev/null.)
  // A FIFO stays a FIFO, and its reader gets the bytes. (The reader opens it first, without
  // blocking, so that the write can open it.)
  auto fifo = (dir / "pipe").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(reader >= 0);
  REQUIRE(write_file_atomic(fifo, "through the pipe\n"));
  char buf[64];
  ssize_t n = ::read(reader, buf, sizeof buf);
  ::close(reader);
  CHECK(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0) == "through the pipe\n");
  CHECK(std::filesystem::is_fifo(fifo));
  auto into_dir = write_file_atomic(dir.string(), "x");
  REQUIRE_FALSE(into_dir);
  CHECK(into_dir.error().message == "cannot write '" + dir.string() + "': it is a directory");
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++entries;
  CHECK(entries == 1);  // the FIFO, and no temporary file
  std::filesystem::remove_all(dir);
}

TEST_CASE("3 and 3.0 in a number field give the same artifact bytes", "[artifact][determinism]") {
  auto a = compile(project_with("models:\n  gpt-4o: {pricing: {input_per_mtok: 3, output_per_mtok: 10}}\n"), "prod");
  auto b =
      compile(project_with("models:\n  gpt-4o: {pricing: {input_per_mtok: 3.0, output_per_mtok: 10.0}}\n"), "prod");
  CHECK(a->result.artifact["config"] == b->result.artifact["config"]);
  CHECK(canonical_json(a->result.artifact["config"]) == canonical_json(b->result.artifact["config"]));
}

TEST_CASE("a CRLF checkout of the same files gives the same digest", "[artifact][determinism]") {
  auto lf = project_with("gateway:\n  replicas: 2\n");
  auto crlf = lf;
  for (auto& [path, text] : crlf) {
    std::string out;
    for (char ch : text) out += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
    text = out;
  }
  CHECK(compile(lf, "prod")->result.artifact["digest"] == compile(crlf, "prod")->result.artifact["digest"]);
}

TEST_CASE("the artifact text is the canonical JSON of the artifact and its digest verifies", "[artifact]") {
  auto c = compile(project_with("gateway: {replicas: 2}\n"), "prod");
  CHECK(c->result.artifact_text == canonical_json(c->result.artifact));
  CHECK(artifact_digest(json::parse(c->result.artifact_text)) == c->result.artifact["digest"]);
}
