// Artifact: the GatewayModel of one environment in its envelope, canonical and digested
// (DESIGN.md section 4), and the atomic file write every output goes through.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gwctl/normalize.hpp"
#include "gwctl/source.hpp"

namespace gwctl {

inline constexpr std::string_view artifact_format = "gwctl.artifact/v1";

struct SourceInfo {
  std::optional<std::string> commit;  // null until the config root is read from Git
  std::optional<bool> dirty;
  struct File {
    std::string path;
    std::string sha256;
  };
  std::vector<File> files;  // every file that contributed, sorted by path
};

// The envelope with `digest` computed; `promoted_from` and `signature` are null. `text`, when
// given, receives its canonical_json, built without a second serialization of the config.
// `config_text`, when given, is artifact_config_text(model) computed beforehand.
nlohmann::json make_artifact(GatewayModel model, const std::string& environment, const std::vector<std::string>& flags,
                             const SourceInfo& source, std::string* text = nullptr, std::string config_text = {});
// The serialization of the config that make_artifact embeds (the bulk of its work); it only
// reads the model, so a caller can run it alongside other readers.
std::string artifact_config_text(const GatewayModel& model);

// "sha256:<hex>" over canonical_json of the envelope without `digest` and `signature`.
std::string artifact_digest(const nlohmann::json& artifact);

// Canonical text: sorted keys, two-space indent, shortest round-trip numbers, final newline.
std::string canonical_json(const nlohmann::json& value);

std::string sha256_hex(std::string_view data);

// Writes through a temporary file in the same folder and renames it into place, so readers see
// the old file or the whole new one, never a part. A device or a pipe (/dev/null, a FIFO) is
// written in place instead, and a directory is refused. `mode` is the new file's permission bits
// (the temporary file is 0600 until it is complete).
Expected<bool> write_file_atomic(const std::string& path, std::string_view content, unsigned mode = 0644);

}  // namespace gwctl
