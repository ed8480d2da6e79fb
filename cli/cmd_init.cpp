// gwctl init: a starter config repository that lints clean.
#include <filesystem>

#include <fmt/format.h>

#include "common.hpp"
#include "gwctl/artifact.hpp"
#include "gwctl/schema.hpp"

namespace gwctl::cli {

namespace {

struct InitArgs {
  std::string dir;
  bool force = false;
};

int run_init(const GlobalOptions& global, const InitArgs& args) {
  namespace fs = std::filesystem;
  fs::path root = args.dir.empty() ? fs::path(global.root) : fs::path(args.dir);
  std::vector<std::string> files = init_files();
  if (!args.force) {
    std::vector<std::string> existing;
    for (const auto& f : files) {
      std::error_code ec;
      if (fs::exists(root / f, ec)) existing.push_back(f);
    }
    if (!existing.empty()) {
      error(fmt::format("'{}' already has {}; nothing written (use --force to overwrite)", root.string(),
                        fmt::join(existing, ", ")));
      return failure;
    }
  }
  for (const auto& f : files) {
    std::error_code ec;
    fs::create_directories((root / f).parent_path(), ec);
    if (ec) {
      error(fmt::format("cannot create '{}': {}", (root / f).parent_path().string(), ec.message()));
      return failure;
    }
    auto w = write_file_atomic((root / f).string(), embedded_file("init/" + f));
    if (!w) {
      error(w.error().message);
      return failure;
    }
  }
  fmt::print("created {} files in '{}'; next: gwctl -C {} lint\n", files.size(), root.string(), root.string());
  return ok;
}

}  // namespace

Command register_init(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<InitArgs>();
  CLI::App* sub = app.add_subcommand("init", "Write a starter config repository");
  sub->add_option("dir", args->dir, "Where to write it (default: the -C directory)")->type_name("DIR");
  sub->add_flag("--force", args->force, "Overwrite files that exist");
  return {sub, [&global, args] { return run_init(global, *args); }};
}

}  // namespace gwctl::cli
