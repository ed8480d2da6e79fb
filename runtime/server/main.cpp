// gwd: serves a compiled gwctl artifact (DESIGN.md section 8; man/gwd.8).
#include <malloc.h>

#include <cstdio>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "gwctl/signing.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
  // glibc hands freed memory at the top of a thread's heap back to the kernel once it passes
  // 128 KiB (madvise), and the next requests fault it in again: on a busy gateway that churn,
  // with its TLB shootdowns across cores, cost more system time than the sockets. Keep up to
  // 32 MiB of it.
  mallopt(M_TRIM_THRESHOLD, 32 << 20);
  gwd::Options options;
  options.threads = static_cast<int>(std::min(4u, std::max(1u, std::thread::hardware_concurrency())));
  std::vector<std::string> provider_urls;
  std::string signature_key;
  CLI::App app{"gwd: the gwctl data plane; serves a compiled artifact"};
  app.add_option("--artifact", options.artifact, "Artifact file to serve (from gwctl compile)")->required();
  app.add_option("--listen", options.listen, "Client address host:port (default: the artifact's gateway.listen)");
  app.add_option("--admin", options.admin, "Admin address host:port (default: the artifact's gateway.admin.listen)");
  app.add_option("--secrets-dir", options.secrets_dir, "Folder of secret files, one per secret NAME");
  app.add_option("--threads", options.threads, "Worker threads (default: cores, at most 4)")->check(CLI::Range(1, 64));
  app.add_option("--busy-poll", options.busy_poll,
                 "Microseconds a worker serving one or two clients polls for events before it sleeps (0: never; "
                 "default 50)")
      ->check(CLI::Range(0, 10000));
  app.add_option("--drain-timeout", options.drain_timeout, "Milliseconds SIGTERM waits for in-flight requests")
      ->check(CLI::Range(0, 3600000));
  app.add_option("--watch-interval", options.watch_interval,
                 "Milliseconds between checks of the artifact file for changes (0: off)")
      ->check(CLI::Range(0, 3600000));
  app.add_option("--provider-url", provider_urls,
                 "NAME=URL: send provider NAME's traffic (\"*\": every provider's) to URL instead of its base_url");
  app.add_option("--require-signature", signature_key,
                 "Public key PEM (gwctl keygen's PREFIX.pub): serve only artifacts signed by it, at start and on "
                 "reload")
      ->type_name("KEY");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  for (const std::string& p : provider_urls) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "gwd: error: --provider-url expects NAME=URL, got '%s'\n", p.c_str());
      return 2;
    }
    options.provider_urls.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  if (!signature_key.empty()) {
    auto key = gwctl::PublicKey::read(signature_key);
    if (!key) {
      std::fprintf(stderr, "gwd: error: --require-signature: %s\n", key.error().message.c_str());
      return 2;
    }
    options.signature_key = std::make_shared<const gwctl::PublicKey>(std::move(*key));
  }
  return gwd::run_server(options);
}
