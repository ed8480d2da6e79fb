#include "gwctl/artifact.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <openssl/evp.h>

namespace gwctl {

using json = nlohmann::json;

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  out.reserve(len * 2);
  static constexpr char hex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0xF];
  }
  return out;
}

std::string canonical_json(const json& value) {
  return value.dump(2, ' ', false, json::error_handler_t::strict) + "\n";
}

std::string artifact_digest(const json& artifact) {
  json covered = artifact;
  covered.erase("digest");
  covered.erase("signature");
  return "sha256:" + sha256_hex(canonical_json(covered));
}

namespace {
// canonical_json of an object, assembled from its members' texts (each dumped once, at the
// nesting level of a member), so that the digest text and the file text share one dump of the
// large `config`.
std::string assemble(const std::map<std::string, std::string>& members) {
  std::string out = "{\n";
  bool first = true;
  for (const auto& [key, text] : members) {
    if (!first) out += ",\n";
    first = false;
    out += "  " + json(key).dump() + ": " + text;
  }
  return out + "\n}\n";
}

std::string member_text(const json& value) {
  std::string text = value.dump(2, ' ', false, json::error_handler_t::strict);
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}
}  // namespace

std::string artifact_config_text(const GatewayModel& model) {
  return member_text(model.config);
}

json make_artifact(GatewayModel model, const std::string& environment, const std::vector<std::string>& flags,
                   const SourceInfo& source, std::string* text, std::string config_text) {
  json files = json::array();
  for (const auto& f : source.files) files.push_back({{"path", f.path}, {"sha256", f.sha256}});
  std::vector<std::string> sorted_flags = flags;
  std::sort(sorted_flags.begin(), sorted_flags.end());
  json a = {
      {"format", artifact_format},
      {"environment", environment},
      {"flags", sorted_flags},
      {"source",
       {{"commit", source.commit ? json(*source.commit) : json(nullptr)},
        {"dirty", source.dirty ? json(*source.dirty) : json(nullptr)},
        {"files", files}}},
      {"promoted_from", nullptr},
  };
  std::map<std::string, std::string> members;
  for (auto it = a.begin(); it != a.end(); ++it) members[it.key()] = member_text(it.value());
  members["config"] = config_text.empty() ? member_text(model.config) : std::move(config_text);
  a["config"] = std::move(model.config);
  // The digest covers the envelope as it stands now: everything but `digest` and `signature`.
  std::string digest = "sha256:" + sha256_hex(assemble(members));
  a["digest"] = digest;
  a["signature"] = nullptr;
  if (text) {
    members["digest"] = json(digest).dump();
    members["signature"] = "null";
    *text = assemble(members);
  }
  return a;
}

namespace {

// A device or a pipe (/dev/null, /dev/stdout, a FIFO) is written in place: renaming a new file
// over it would replace the device itself.
Expected<bool> write_in_place(const std::string& path, std::string_view content) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  bool written = f != nullptr && std::fwrite(content.data(), 1, content.size(), f) == content.size();
  int err = errno;
  if (f != nullptr && std::fclose(f) != 0 && written) {
    written = false;
    err = errno;
  }
  if (!written) return IoError{IoError::Kind::io, fmt::format("cannot write '{}': {}", path, std::strerror(err))};
  return true;
}

}  // namespace

Expected<bool> write_file_atomic(const std::string& path, std::string_view content, unsigned mode) {
  namespace fs = std::filesystem;
  std::error_code status_error;
  auto status = fs::status(path, status_error);
  if (!status_error && fs::is_directory(status)) {
    return IoError{IoError::Kind::io, fmt::format("cannot write '{}': it is a directory", path)};
  }
  if (!status_error && fs::exists(status) && !fs::is_regular_file(status)) return write_in_place(path, content);
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    return IoError{IoError::Kind::io,
                   fmt::format("cannot create a file in '{}': {}", dir.string(), std::strerror(errno))};
  }
  auto fail = [&](const char* what) {
    int err = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    return IoError{IoError::Kind::io, fmt::format("cannot {} '{}': {}", what, path, std::strerror(err))};
  };
  std::size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) return fail("set permissions of");
  if (::fsync(fd) != 0) return fail("sync");
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmpl.c_str());
    return IoError{IoError::Kind::io, fmt::format("cannot write '{}': {}", path, std::strerror(err))};
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmpl.c_str());
    return IoError{IoError::Kind::io, fmt::format("cannot rename into '{}': {}", path, std::strerror(err))};
  }
  // Make the rename itself durable: sync the folder that now names the new file.
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return true;
}

}  // namespace gwctl
