// gwctl sign: adds an ed25519 signature to an artifact, in place. The artifact must verify
// (schema and digest) first: a tampered artifact is never signed.
#include <fmt/format.h>

#include "common.hpp"
#include "gwctl/artifact.hpp"
#include "gwctl/signing.hpp"

namespace gwctl::cli {

namespace {

struct SignArgs {
  std::string artifact;
  std::string key;
};

int run_sign(const SignArgs& args) {
  auto key = SigningKey::read(args.key);
  if (!key) {
    error(key.error().message);
    return failure;
  }
  auto text = read_input(args.artifact);
  if (!text) return failure;
  ArtifactCheck check = check_artifact(*text);
  if (!check.ok()) {
    fmt::print(stderr, "{}: error: {}; not signed\n", args.artifact, check.message);
    return check.unusable() ? failure : gate;
  }
  const bool replaced = check.signed_by.has_value();
  sign_artifact(check.artifact, *key);
  auto written = write_file_atomic(args.artifact, canonical_json(check.artifact));
  if (!written) {
    error(written.error().message);
    return failure;
  }
  fmt::print("{}: signed with key {} (digest {}){}\n", args.artifact, key->key_id(),
             check.artifact["digest"].get<std::string>(),
             replaced ? fmt::format(", replacing the signature by key {}", *check.signed_by) : "");
  return ok;
}

}  // namespace

Command register_sign(CLI::App& app, const GlobalOptions&) {
  auto args = std::make_shared<SignArgs>();
  CLI::App* sub = app.add_subcommand("sign", "Sign an artifact with an ed25519 private key, in place");
  sub->add_option("artifact", args->artifact, "Artifact file to sign (from gwctl compile)")
      ->required()
      ->type_name("ARTIFACT");
  sub->add_option("--key", args->key, "Private key PEM (PREFIX.key from gwctl keygen)")->required()->type_name("KEY");
  return {sub, [args] { return run_sign(*args); }};
}

}  // namespace gwctl::cli
