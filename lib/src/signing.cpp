#include "gwctl/signing.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "gwctl/artifact.hpp"
#include "gwctl/schema.hpp"

namespace gwctl {

using json = nlohmann::json;

void detail::PkeyDeleter::operator()(evp_pkey_st* pkey) const {
  EVP_PKEY_free(pkey);
}

namespace {

// RAII for the OpenSSL handles used here.
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using Bio = std::unique_ptr<BIO, BioDeleter>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;

constexpr std::size_t max_key_file_bytes = 64 * 1024;
constexpr std::size_t ed25519_signature_bytes = 64;

IoError key_error(std::string message) {
  return IoError{IoError::Kind::io, std::move(message)};
}

Bio memory_bio(std::string_view text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string key_id_of(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return "ed25519:unknown";
  std::string id = "ed25519:" + sha256_hex(std::string_view(reinterpret_cast<const char*>(der), n)).substr(0, 16);
  OPENSSL_free(der);
  return id;
}

// What the PEM blocks of `pem` say they are: the label of the first "-----BEGIN X-----".
std::optional<std::string> pem_label(std::string_view pem) {
  static constexpr std::string_view begin = "-----BEGIN ";
  auto at = pem.find(begin);
  if (at == std::string_view::npos) return std::nullopt;
  auto end = pem.find("-----", at + begin.size());
  if (end == std::string_view::npos) return std::nullopt;
  return std::string(pem.substr(at + begin.size(), end - at - begin.size()));
}

// Why a key that parsed is not the ed25519 key asked for, or nullopt.
std::optional<std::string> not_ed25519(EVP_PKEY* key, const std::string& label) {
  if (EVP_PKEY_get_id(key) == EVP_PKEY_ED25519) return std::nullopt;
  const char* type = EVP_PKEY_get0_type_name(key);
  return fmt::format("'{}' holds {} key; gwctl signs with ed25519 keys only (make a pair with 'gwctl keygen')", label,
                     type != nullptr ? fmt::format("an {}", type) : std::string("another kind of"));
}

// Never prompts for a passphrase (an encrypted key is refused with a message instead).
int no_passphrase(char*, int, int, void*) {
  return -1;
}

Expected<std::string> read_key_file(const std::string& path) {
  return read_input_file(path, max_key_file_bytes, "the key");
}

std::string not_pem(const std::string& label, const char* what) {
  return fmt::format("'{}' is not a PEM key file: expected {} written by 'gwctl keygen'", label, what);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Keys

PublicKey::PublicKey(detail::PkeyHandle key) : key_(std::move(key)), key_id_(key_id_of(key_.get())) {}

Expected<PublicKey> PublicKey::from_pem(std::string_view pem, const std::string& label) {
  auto kind = pem_label(pem);
  if (!kind) return key_error(not_pem(label, "a public key (PREFIX.pub)"));
  if (kind->find("PRIVATE KEY") != std::string::npos) {
    return key_error(fmt::format(
        "'{}' is a private key; verifying takes the public key (PREFIX.pub), and the private key should stay "
        "with the signer",
        label));
  }
  if (kind->ends_with(" PUBLIC KEY")) {  // PKCS#1 "RSA PUBLIC KEY" and the like
    return key_error(
        fmt::format("'{}' holds an '{}' block; gwctl signs with ed25519 keys only (make a pair with 'gwctl keygen')",
                    label, *kind));
  }
  if (*kind != "PUBLIC KEY") {
    return key_error(
        fmt::format("'{}' holds a PEM '{}' block, not a public key (PREFIX.pub from 'gwctl keygen')", label, *kind));
  }
  Bio bio = memory_bio(pem);
  detail::PkeyHandle key(PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr));
  ERR_clear_error();
  if (!key) return key_error(fmt::format("'{}' holds a PUBLIC KEY block that OpenSSL cannot read", label));
  if (auto why = not_ed25519(key.get(), label)) return key_error(*why);
  return PublicKey(std::move(key));
}

Expected<PublicKey> PublicKey::read(const std::string& path) {
  auto text = read_key_file(path);
  if (!text) return text.error();
  return from_pem(*text, path);
}

std::string PublicKey::pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key_.get());
  return bio_text(bio.get());
}

bool PublicKey::verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != ed25519_signature_bytes) return false;
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1) {
    ERR_clear_error();
    return false;
  }
  int r = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                           reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();
  return r == 1;
}

SigningKey::SigningKey(detail::PkeyHandle key) : key_(std::move(key)), key_id_(key_id_of(key_.get())) {}

Expected<SigningKey> SigningKey::generate() {
  PkeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    ERR_clear_error();
    return key_error("OpenSSL could not generate an ed25519 key");
  }
  return SigningKey(detail::PkeyHandle(raw));
}

Expected<SigningKey> SigningKey::from_pem(std::string_view pem, const std::string& label) {
  auto kind = pem_label(pem);
  if (!kind) return key_error(not_pem(label, "a private key (PREFIX.key)"));
  if (*kind == "PUBLIC KEY") {
    return key_error(
        fmt::format("'{}' is a public key; signing takes the private key (PREFIX.key from 'gwctl keygen')", label));
  }
  if (*kind == "ENCRYPTED PRIVATE KEY" || pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos) {
    return key_error(fmt::format("'{}' is an encrypted private key; gwctl reads unencrypted PKCS#8 keys only", label));
  }
  if (kind->find("PRIVATE KEY") == std::string::npos) {
    return key_error(
        fmt::format("'{}' holds a PEM '{}' block, not a private key (PREFIX.key from 'gwctl keygen')", label, *kind));
  }
  Bio bio = memory_bio(pem);
  detail::PkeyHandle key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  ERR_clear_error();
  if (!key) return key_error(fmt::format("'{}' holds a {} block that OpenSSL cannot read", label, *kind));
  if (auto why = not_ed25519(key.get(), label)) return key_error(*why);
  return SigningKey(std::move(key));
}

Expected<SigningKey> SigningKey::read(const std::string& path) {
  auto text = read_key_file(path);
  if (!text) return text.error();
  return from_pem(*text, path);
}

PublicKey SigningKey::public_key() const {
  // Round-trip through DER: a handle holding the public half only.
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key_.get(), &der);
  const unsigned char* p = der;
  detail::PkeyHandle pub(n > 0 ? d2i_PUBKEY(nullptr, &p, n) : nullptr);
  OPENSSL_free(der);
  return PublicKey(std::move(pub));
}

std::string SigningKey::private_pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY").
  PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return bio_text(bio.get());
}

std::string SigningKey::sign(std::string_view message) const {
  MdCtx ctx(EVP_MD_CTX_new());
  std::string signature(ed25519_signature_bytes, '\0');
  std::size_t len = signature.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    ERR_clear_error();
    return {};
  }
  signature.resize(len);
  return signature;
}

Expected<bool> write_key_pair(const SigningKey& key, const std::string& prefix, bool overwrite) {
  const std::string private_path = prefix + ".key";
  const std::string public_path = prefix + ".pub";
  if (!overwrite) {
    for (const std::string& path : {private_path, public_path}) {
      std::error_code ec;
      if (std::filesystem::symlink_status(path, ec).type() != std::filesystem::file_type::not_found) {
        return key_error(fmt::format("'{}' already exists; pass --force to replace it", path));
      }
    }
  }
  // The private key first: a public key without its private half would be useless.
  auto written = write_file_atomic(private_path, key.private_pem(), 0600);
  if (!written) return written.error();
  written = write_file_atomic(public_path, key.public_key().pem(), 0644);
  if (!written) return written.error();
  return true;
}

// ---------------------------------------------------------------------------------------------
// Artifacts

void sign_artifact(json& artifact, const SigningKey& key) {
  const std::string digest = artifact.value("digest", std::string());
  artifact["signature"] = {
      {"algorithm", signature_algorithm}, {"key_id", key.key_id()}, {"value", base64_encode(key.sign(digest))}};
}

std::string_view status_name(ArtifactCheck::Status status) {
  using S = ArtifactCheck::Status;
  switch (status) {
    case S::ok:
      return "ok";
    case S::not_json:
      return "not_json";
    case S::not_artifact:
      return "not_artifact";
    case S::invalid:
      return "invalid";
    case S::digest_mismatch:
      return "digest_mismatch";
    case S::not_signed:
      return "not_signed";
    case S::other_key:
      return "other_key";
    case S::bad_signature:
      return "bad_signature";
  }
  return "invalid";
}

ArtifactCheck check_artifact(std::string_view text, const PublicKey* key) {
  ArtifactCheck check;
  auto fail = [&check](ArtifactCheck::Status status, std::string message) {
    check.status = status;
    check.message = std::move(message);
    return std::move(check);
  };
  check.artifact = json::parse(text, nullptr, false);
  if (check.artifact.is_discarded()) {
    check.artifact = nullptr;
    return fail(ArtifactCheck::Status::not_json, "the artifact is not valid JSON");
  }
  const json& a = check.artifact;
  const bool claims_format =
      a.is_object() && a.contains("format") && a["format"].is_string() && a["format"] == artifact_format;
  auto violations = Schema::artifact().check(a);
  if (!violations.empty()) {
    const auto& v = violations.front();
    std::string why = v.description;
    if (why.ends_with('.')) why.pop_back();  // valijson writes sentences; callers append to this one
    return fail(claims_format ? ArtifactCheck::Status::invalid : ArtifactCheck::Status::not_artifact,
                fmt::format("the artifact does not match the artifact schema at '{}': {}",
                            v.pointer.empty() ? std::string("/") : v.pointer, why));
  }
  if (!claims_format) {
    return fail(ArtifactCheck::Status::not_artifact, fmt::format("the artifact format is not '{}'", artifact_format));
  }
  const std::string recorded = a.at("digest").get<std::string>();
  const std::string actual = artifact_digest(a);
  if (recorded != actual) {
    return fail(ArtifactCheck::Status::digest_mismatch,
                fmt::format("the artifact digest '{}' does not match its content ('{}'): the file was changed after "
                            "it was compiled",
                            recorded, actual));
  }
  const json& signature = a.at("signature");
  if (signature.is_object()) check.signed_by = signature.at("key_id").get<std::string>();
  if (key == nullptr) return check;
  if (!signature.is_object()) {
    return fail(ArtifactCheck::Status::not_signed,
                fmt::format("the artifact is not signed (expected a signature by key {})", key->key_id()));
  }
  if (*check.signed_by != key->key_id()) {
    return fail(ArtifactCheck::Status::other_key,
                fmt::format("the artifact is signed by another key: {}, not the given key {}", *check.signed_by,
                            key->key_id()));
  }
  auto value = base64_decode(signature.at("value").get<std::string>());
  if (!value || value->size() != ed25519_signature_bytes) {
    return fail(ArtifactCheck::Status::bad_signature,
                fmt::format("the signature value is not a base64 ed25519 signature (64 bytes) (signed by key {})",
                            *check.signed_by));
  }
  if (!key->verify(recorded, *value)) {
    return fail(ArtifactCheck::Status::bad_signature,
                fmt::format("the signature does not match (signed by key {}): the signature or the digest was "
                            "changed after signing",
                            *check.signed_by));
  }
  check.signature_checked = true;
  return check;
}

std::optional<std::string> check_promotion(const json& artifact, const json& earlier) {
  const std::string earlier_env = earlier.value("environment", std::string());
  const std::string earlier_digest = earlier.value("digest", std::string());
  const std::string env = artifact.value("environment", std::string());
  auto from = artifact.find("promoted_from");
  if (from == artifact.end() || !from->is_object()) {
    return fmt::format(
        "the artifact ({}) records no promotion (promoted_from is null), so it was not promoted from "
        "the earlier one ({}, {})",
        env, earlier_env, earlier_digest);
  }
  const std::string from_env = from->value("environment", std::string());
  const std::string from_digest = from->value("digest", std::string());
  if (from_env != earlier_env || from_digest != earlier_digest) {
    return fmt::format("the artifact was promoted from {} {}, not from the earlier artifact ({} {})", from_env,
                       from_digest, earlier_env, earlier_digest);
  }
  if (env == earlier_env) {
    return fmt::format(
        "the artifact and the earlier one are both for environment '{}': a promotion moves to another "
        "environment",
        env);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Base64 (RFC 4648, standard alphabet, padded)

namespace {
constexpr std::string_view base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_value(char c) {
  auto at = base64_alphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}
}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
    out += base64_alphabet[(n >> 18) & 63];
    out += base64_alphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? base64_alphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? base64_alphabet[n & 63] : '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    std::array<int, 4> v{};
    int padding = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        v[j] = 0;
        ++padding;
        continue;
      }
      if (padding > 0) return std::nullopt;  // data after '='
      v[j] = base64_value(c);
      if (v[j] < 0) return std::nullopt;
    }
    std::uint32_t n = (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
                      (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
    out += static_cast<char>((n >> 16) & 0xFF);
    if (padding < 2) out += static_cast<char>((n >> 8) & 0xFF);
    if (padding < 1) out += static_cast<char>(n & 0xFF);
    // Canonical form only: the bits a padded group drops must be zero.
    if ((padding == 1 && (n & 0xFF) != 0) || (padding == 2 && (n & 0xFFFF) != 0)) return std::nullopt;
  }
  return out;
}

}  // namespace gwctl
