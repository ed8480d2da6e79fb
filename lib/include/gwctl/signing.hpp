// Signing: ed25519 keys in PEM, the signature an artifact carries, and the one check of an
// artifact's text (JSON, schema, format, digest, and the signature when a key is given) that
// `gwctl verify`, `gwctl sign` and `gwd --require-signature` share.
//
// The signature is ed25519 over the exact bytes of the artifact's `digest` string
// ("sha256:<hex>"); the digest covers everything but `digest` and `signature`, so the signature
// covers the whole artifact. Keys are PKCS#8 (private) and SubjectPublicKeyInfo (public) PEM,
// unencrypted. Key material is never put in a message.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gwctl/source.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace gwctl {

inline constexpr std::string_view signature_algorithm = "ed25519";

namespace detail {
struct PkeyDeleter {
  void operator()(evp_pkey_st* pkey) const;
};
using PkeyHandle = std::unique_ptr<evp_pkey_st, PkeyDeleter>;
}  // namespace detail

// The public half: verifies signatures.
class PublicKey {
 public:
  // `label` names the source in messages (a file path). Refuses anything but an ed25519
  // SubjectPublicKeyInfo PEM, saying what it found instead.
  static Expected<PublicKey> from_pem(std::string_view pem, const std::string& label);
  static Expected<PublicKey> read(const std::string& path);

  // "ed25519:" + the first 16 hex digits of the SHA-256 of the DER public key.
  const std::string& key_id() const { return key_id_; }
  std::string pem() const;
  bool verify(std::string_view message, std::string_view signature) const;

 private:
  friend class SigningKey;  // public_key()
  explicit PublicKey(detail::PkeyHandle key);
  detail::PkeyHandle key_;
  std::string key_id_;
};

// The private half: signs.
class SigningKey {
 public:
  static Expected<SigningKey> generate();
  // Refuses public keys, encrypted keys and keys of other algorithms, saying which.
  static Expected<SigningKey> from_pem(std::string_view pem, const std::string& label);
  static Expected<SigningKey> read(const std::string& path);

  const std::string& key_id() const { return key_id_; }
  PublicKey public_key() const;
  std::string private_pem() const;  // PKCS#8
  std::string sign(std::string_view message) const;

 private:
  explicit SigningKey(detail::PkeyHandle key);
  detail::PkeyHandle key_;
  std::string key_id_;
};

// Writes PREFIX.key (mode 0600) and PREFIX.pub (0644) atomically. Refuses when either file
// exists, unless `overwrite`.
Expected<bool> write_key_pair(const SigningKey& key, const std::string& prefix, bool overwrite);

// Sets the artifact's `signature` (replacing one already there).
void sign_artifact(nlohmann::json& artifact, const SigningKey& key);

// The outcome of checking an artifact's text. Statuses from `not_signed` on are gate failures
// (exit 1) only when a key is required; `not_json` and `not_artifact` mean the file is not
// something that can be verified at all (exit 2).
struct ArtifactCheck {
  enum class Status {
    ok,
    not_json,         // not JSON at all
    not_artifact,     // JSON, but not a gwctl.artifact/v1 object
    invalid,          // claims the format but breaks the artifact schema
    digest_mismatch,  // the content changed after the digest was computed
    not_signed,       // a key was given and the artifact has no signature
    other_key,        // signed, by a key other than the one given
    bad_signature,    // signed by that key's id, but the signature does not verify
  };
  Status status = Status::ok;
  std::string message;                   // why, when status is not ok: "the artifact digest '…' does not match …"
  nlohmann::json artifact;               // the parsed artifact, unless not_json
  std::optional<std::string> signed_by;  // the signature's key_id, when there is a signature
  bool signature_checked = false;        // a key was given and the signature verified

  bool ok() const { return status == Status::ok; }
  // The file is not something that can be verified at all (not JSON, not an artifact).
  bool unusable() const { return status == Status::not_json || status == Status::not_artifact; }
};

// "ok", "not_json", "not_artifact", "invalid", "digest_mismatch", "not_signed", "other_key",
// "bad_signature": the names machine output uses.
std::string_view status_name(ArtifactCheck::Status status);

// JSON, the artifact schema, format, digest; then, when `key` is given, that the artifact is
// signed by it. Without a key a signature is reported (signed_by) but not checked.
ArtifactCheck check_artifact(std::string_view text, const PublicKey* key = nullptr);

// Why `artifact` is not a promotion of `earlier`, or nullopt when its `promoted_from` names
// the earlier artifact's environment and digest and the environments differ. Other members of
// `promoted_from` are not looked at.
std::optional<std::string> check_promotion(const nlohmann::json& artifact, const nlohmann::json& earlier);

std::string base64_encode(std::string_view bytes);
// Strict: standard alphabet with padding; nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace gwctl
