#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <nlohmann/json.hpp>

#include "gwctl/artifact.hpp"
#include "gwctl/signing.hpp"
#include "helpers.hpp"

using namespace gwctl;
using namespace gwctl::test;
using json = nlohmann::json;
using Status = ArtifactCheck::Status;

namespace {

// The canonical text of a small project's prod artifact.
std::string artifact_text() {
  auto c = compile(project_with("gateway: {replicas: 2}\n"), "prod");
  REQUIRE_FALSE(c->has_errors());
  return canonical_json(c->result.artifact);
}

std::string signed_text(const SigningKey& key) {
  json a = json::parse(artifact_text());
  sign_artifact(a, key);
  return canonical_json(a);
}

SigningKey new_key() {
  auto key = SigningKey::generate();
  REQUIRE(key.ok());
  return std::move(*key);
}

// PEM texts of a freshly made key of another algorithm ("RSA" or "EC").
struct OtherKey {
  std::string private_pem;
  std::string public_pem;
};
OtherKey other_algorithm_key(const char* type) {
  EVP_PKEY* key = std::string_view(type) == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024})
                                                  : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  REQUIRE(key != nullptr);
  OtherKey out;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  out.private_pem.assign(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  n = BIO_get_mem_data(bio, &data);
  out.public_pem.assign(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return out;
}

// A private temp folder, removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gwctl-sign-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("a generated key signs an artifact and its public key verifies it", "[signing]") {
  SigningKey key = new_key();
  CHECK(key.key_id().starts_with("ed25519:"));
  CHECK(key.key_id().size() == std::string("ed25519:").size() + 16);
  PublicKey pub = key.public_key();
  CHECK(pub.key_id() == key.key_id());

  ArtifactCheck check = check_artifact(signed_text(key), &pub);
  INFO(check.message);
  CHECK(check.ok());
  CHECK(check.signature_checked);
  CHECK(check.signed_by == key.key_id());
  CHECK(check.artifact["signature"]["algorithm"] == "ed25519");
  CHECK(check.artifact["signature"]["value"].get<std::string>().size() == 88);  // 64 bytes in base64
}

TEST_CASE("keys survive their PEM form with the same key id", "[signing]") {
  SigningKey key = new_key();
  std::string private_pem = key.private_pem();
  std::string public_pem = key.public_key().pem();
  CHECK(private_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
  CHECK(public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
  auto again = SigningKey::from_pem(private_pem, "k.key");
  REQUIRE(again.ok());
  CHECK(again->key_id() == key.key_id());
  auto pub = PublicKey::from_pem(public_pem, "k.pub");
  REQUIRE(pub.ok());
  CHECK(pub->key_id() == key.key_id());
  // A signature by the reloaded key verifies with the original public key.
  CHECK(check_artifact(signed_text(*again), &*pub).ok());
}

TEST_CASE("signing sets only the signature: the digest and every other byte stay as compiled", "[signing]") {
  SigningKey key = new_key();
  std::string original = artifact_text();
  json a = json::parse(signed_text(key));
  CHECK(a["digest"] == json::parse(original)["digest"]);
  CHECK(artifact_digest(a) == a["digest"]);
  a["signature"] = nullptr;
  CHECK(canonical_json(a) == original);
}

TEST_CASE("re-signing replaces the signature", "[signing]") {
  SigningKey first = new_key();
  SigningKey second = new_key();
  json a = json::parse(signed_text(first));
  sign_artifact(a, second);
  PublicKey second_pub = second.public_key();
  PublicKey first_pub = first.public_key();
  CHECK(check_artifact(canonical_json(a), &second_pub).ok());
  CHECK(check_artifact(canonical_json(a), &first_pub).status == Status::other_key);
}

TEST_CASE("one byte changed in the config is a digest mismatch, whatever the key", "[signing]") {
  SigningKey key = new_key();
  PublicKey pub = key.public_key();
  std::string text = signed_text(key);
  auto at = text.find("\"name\": \"test\"");
  REQUIRE(at != std::string::npos);
  text[at + 10] = 'b';  // test -> best
  ArtifactCheck check = check_artifact(text, &pub);
  CHECK(check.status == Status::digest_mismatch);
  std::string digest = json::parse(signed_text(key))["digest"];
  CHECK(check.message.starts_with("the artifact digest '" + digest + "' does not match its content ('sha256:"));
  CHECK(check.message.ends_with("'): the file was changed after it was compiled"));
  // Without a key too: the digest is checked first.
  CHECK(check_artifact(text).status == Status::digest_mismatch);
}

TEST_CASE("a changed signature byte is a bad signature", "[signing]") {
  SigningKey key = new_key();
  PublicKey pub = key.public_key();
  json a = json::parse(signed_text(key));
  auto raw = base64_decode(a["signature"]["value"].get<std::string>());
  REQUIRE(raw);
  (*raw)[10] = static_cast<char>((*raw)[10] ^ 0x01);
  a["signature"]["value"] = base64_encode(*raw);
  ArtifactCheck check = check_artifact(canonical_json(a), &pub);
  CHECK(check.status == Status::bad_signature);
  CHECK(check.message == "the signature does not match (signed by key " + key.key_id() +
                             "): the signature or the digest was changed after signing");
}

TEST_CASE("a signature value that is not 64 bytes of base64 is a bad signature", "[signing]") {
  SigningKey key = new_key();
  PublicKey pub = key.public_key();
  json a = json::parse(signed_text(key));
  a["signature"]["value"] = "AAAA";
  ArtifactCheck check = check_artifact(canonical_json(a), &pub);
  CHECK(check.status == Status::bad_signature);
  CHECK(check.message ==
        "the signature value is not a base64 ed25519 signature (64 bytes) (signed by key " + key.key_id() + ")");
}

TEST_CASE("an artifact signed by another key says which key signed it", "[signing]") {
  SigningKey signer = new_key();
  SigningKey other = new_key();
  PublicKey other_pub = other.public_key();
  ArtifactCheck check = check_artifact(signed_text(signer), &other_pub);
  CHECK(check.status == Status::other_key);
  CHECK(check.message ==
        "the artifact is signed by another key: " + signer.key_id() + ", not the given key " + other.key_id());
}

TEST_CASE("an unsigned artifact passes without a key and fails with one", "[signing]") {
  SigningKey key = new_key();
  PublicKey pub = key.public_key();
  std::string text = artifact_text();
  ArtifactCheck without = check_artifact(text);
  CHECK(without.ok());
  CHECK_FALSE(without.signed_by);
  CHECK_FALSE(without.signature_checked);
  ArtifactCheck with = check_artifact(text, &pub);
  CHECK(with.status == Status::not_signed);
  CHECK(with.message == "the artifact is not signed (expected a signature by key " + key.key_id() + ")");
}

TEST_CASE("without a key a signature is reported, not checked", "[signing]") {
  SigningKey key = new_key();
  ArtifactCheck check = check_artifact(signed_text(key));
  CHECK(check.ok());
  CHECK(check.signed_by == key.key_id());
  CHECK_FALSE(check.signature_checked);
}

TEST_CASE("files that are not artifacts are told apart from broken artifacts", "[signing]") {
  CHECK(check_artifact("{nope").status == Status::not_json);
  CHECK(check_artifact("{nope").message == "the artifact is not valid JSON");
  CHECK(check_artifact("[1, 2]").status == Status::not_artifact);
  CHECK(check_artifact("{}").status == Status::not_artifact);
  CHECK(check_artifact("{}").message.starts_with("the artifact does not match the artifact schema at '/'"));
  // The reason is a clause the callers extend ("...; not signed"), without valijson's period.
  CHECK(check_artifact(R"({"format": "gwctl.artifact/v1"})").message ==
        "the artifact does not match the artifact schema at '/': Missing required property 'config'");
  json a = json::parse(artifact_text());
  a["signature"] = {{"algorithm", "rsa"}, {"key_id", "x"}, {"value", "AAAA"}};
  ArtifactCheck check = check_artifact(a.dump());
  CHECK(check.status == Status::invalid);
  CHECK(check.message.starts_with("the artifact does not match the artifact schema at '/signature/algorithm'"));
}

TEST_CASE("a key of another algorithm is refused with its name", "[signing]") {
  for (const char* type : {"RSA", "EC"}) {
    OtherKey other = other_algorithm_key(type);
    auto priv = SigningKey::from_pem(other.private_pem, "other.key");
    REQUIRE_FALSE(priv.ok());
    CHECK(priv.error().message == std::string("'other.key' holds an ") + type +
                                      " key; gwctl signs with ed25519 keys only (make a pair with 'gwctl keygen')");
    auto pub = PublicKey::from_pem(other.public_pem, "other.pub");
    REQUIRE_FALSE(pub.ok());
    CHECK(pub.error().message == std::string("'other.pub' holds an ") + type +
                                     " key; gwctl signs with ed25519 keys only (make a pair with 'gwctl keygen')");
  }
}

TEST_CASE("a public key where the private key is needed, and the reverse, are clear errors", "[signing]") {
  SigningKey key = new_key();
  auto priv = SigningKey::from_pem(key.public_key().pem(), "release.pub");
  REQUIRE_FALSE(priv.ok());
  CHECK(priv.error().message ==
        "'release.pub' is a public key; signing takes the private key (PREFIX.key from 'gwctl keygen')");
  auto pub = PublicKey::from_pem(key.private_pem(), "release.key");
  REQUIRE_FALSE(pub.ok());
  CHECK(pub.error().message ==
        "'release.key' is a private key; verifying takes the public key (PREFIX.pub), and the private key should "
        "stay with the signer");
}

TEST_CASE("garbage, broken PEM, encrypted and missing key files are clear errors", "[signing]") {
  auto garbage = SigningKey::from_pem("not a key\n", "k.key");
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().message ==
        "'k.key' is not a PEM key file: expected a private key (PREFIX.key) written by 'gwctl keygen'");
  auto broken = PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "k.pub");
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().message == "'k.pub' holds a PUBLIC KEY block that OpenSSL cannot read");
  auto cert = PublicKey::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "c.pem");
  REQUIRE_FALSE(cert.ok());
  CHECK(cert.error().message ==
        "'c.pem' holds a PEM 'CERTIFICATE' block, not a public key (PREFIX.pub from 'gwctl keygen')");
  auto pkcs1 = PublicKey::from_pem("-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n", "r.pub");
  REQUIRE_FALSE(pkcs1.ok());
  CHECK(
      pkcs1.error().message ==
      "'r.pub' holds an 'RSA PUBLIC KEY' block; gwctl signs with ed25519 keys only (make a pair with 'gwctl keygen')");
  auto encrypted = SigningKey::from_pem(
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", "e.key");
  REQUIRE_FALSE(encrypted.ok());
  CHECK(encrypted.error().message == "'e.key' is an encrypted private key; gwctl reads unencrypted PKCS#8 keys only");
  auto missing = PublicKey::read("/nonexistent/gwctl/k.pub");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == IoError::Kind::not_found);
  CHECK(missing.error().message == "cannot read the key '/nonexistent/gwctl/k.pub': no such file");
}

TEST_CASE("a key pair is written private 0600, public 0644, and never over existing files", "[signing]") {
  TempDir dir;
  std::string prefix = (dir.path / "release").string();
  SigningKey key = new_key();
  REQUIRE(write_key_pair(key, prefix, false).ok());
  CHECK(mode_of(prefix + ".key") == 0600);
  CHECK(mode_of(prefix + ".pub") == 0644);
  auto read_back = SigningKey::read(prefix + ".key");
  REQUIRE(read_back.ok());
  CHECK(read_back->key_id() == key.key_id());

  SigningKey second = new_key();
  auto refused = write_key_pair(second, prefix, false);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message == "'" + prefix + ".key' already exists; pass --force to replace it");
  CHECK(read_file(prefix + ".key") == key.private_pem());

  REQUIRE(write_key_pair(second, prefix, true).ok());
  CHECK(read_file(prefix + ".key") == second.private_pem());
  CHECK(mode_of(prefix + ".key") == 0600);
}

TEST_CASE("a promotion names the earlier artifact's environment and digest", "[signing]") {
  json earlier = {{"environment", "staging"}, {"digest", "sha256:aaaa"}};
  json promoted = {{"environment", "prod"},
                   {"digest", "sha256:bbbb"},
                   {"promoted_from", {{"environment", "staging"}, {"digest", "sha256:aaaa"}}}};
  CHECK_FALSE(check_promotion(promoted, earlier));

  SECTION("other members of promoted_from, such as forced, are not looked at") {
    promoted["promoted_from"]["forced"] = true;
    CHECK_FALSE(check_promotion(promoted, earlier));
  }
  SECTION("another digest") {
    promoted["promoted_from"]["digest"] = "sha256:cccc";
    CHECK(check_promotion(promoted, earlier) ==
          "the artifact was promoted from staging sha256:cccc, not from the earlier artifact (staging sha256:aaaa)");
  }
  SECTION("another environment") {
    promoted["promoted_from"]["environment"] = "dev";
    CHECK(check_promotion(promoted, earlier) ==
          "the artifact was promoted from dev sha256:aaaa, not from the earlier artifact (staging sha256:aaaa)");
  }
  SECTION("no promotion recorded") {
    promoted["promoted_from"] = nullptr;
    CHECK(check_promotion(promoted, earlier) ==
          "the artifact (prod) records no promotion (promoted_from is null), so it was not promoted from the "
          "earlier one (staging, sha256:aaaa)");
  }
  SECTION("the same environment") {
    promoted["environment"] = "staging";
    CHECK(check_promotion(promoted, earlier) ==
          "the artifact and the earlier one are both for environment 'staging': a promotion moves to another "
          "environment");
  }
}

TEST_CASE("base64 is the padded standard alphabet, decoded strictly", "[signing]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("\xff\xfe") == "//4=");
  CHECK(base64_decode("Zm9vYg==") == "foob");
  CHECK(base64_decode("Zm9vYmE=") == "fooba");
  CHECK(base64_decode("//4=") == "\xff\xfe");
  CHECK_FALSE(base64_decode("Zm9"));     // not a multiple of 4
  CHECK_FALSE(base64_decode("Zm=v"));    // data after padding
  CHECK_FALSE(base64_decode("Zm9v\n"));  // whitespace
  CHECK_FALSE(base64_decode("Zh=="));    // non-zero bits under the padding
  CHECK_FALSE(base64_decode("Zm9-"));    // URL alphabet
}
