// gwctl keygen: an ed25519 key pair for signing artifacts, PREFIX.key (0600) and PREFIX.pub.
#include <fmt/format.h>

#include "common.hpp"
#include "gwctl/signing.hpp"

namespace gwctl::cli {

namespace {

struct KeygenArgs {
  std::string prefix;
  bool force = false;
};

int run_keygen(const KeygenArgs& args) {
  if (args.prefix.empty() || args.prefix.ends_with('/')) {
    error(fmt::format("-o takes a file prefix such as 'keys/release', got '{}'", args.prefix));
    return failure;
  }
  auto key = SigningKey::generate();
  if (!key) {
    error(key.error().message);
    return failure;
  }
  auto written = write_key_pair(*key, args.prefix, args.force);
  if (!written) {
    error(written.error().message);
    return failure;
  }
  fmt::print("wrote {0}.key (private, mode 0600) and {0}.pub; key {1}\n", args.prefix, key->key_id());
  return ok;
}

}  // namespace

Command register_keygen(CLI::App& app, const GlobalOptions&) {
  auto args = std::make_shared<KeygenArgs>();
  CLI::App* sub = app.add_subcommand("keygen", "Make an ed25519 key pair for signing artifacts");
  sub->add_option("-o,--output", args->prefix, "Write PREFIX.key (private, mode 0600) and PREFIX.pub")
      ->required()
      ->type_name("PREFIX");
  sub->add_flag("--force", args->force, "Replace PREFIX.key and PREFIX.pub when they exist");
  return {sub, [args] { return run_keygen(*args); }};
}

}  // namespace gwctl::cli
