#include "gwctl/source.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include <fmt/format.h>

namespace gwctl {

namespace fs = std::filesystem;

namespace {
bool is_within(const fs::path& root, const fs::path& p) {
  auto r = root.begin();
  auto q = p.begin();
  for (; r != root.end(); ++r, ++q) {
    if (q == p.end() || *r != *q) return false;
  }
  return true;
}

}  // namespace

bool plain_relative(std::string_view rel) {
  fs::path p{std::string(rel)};
  if (p.is_absolute()) return false;
  for (const auto& part : p) {
    if (part == "..") return false;
  }
  return true;
}

Expected<std::string> read_input_file(const std::string& path, std::uintmax_t max_bytes, std::string_view what) {
  std::string name = what.empty() ? fmt::format("'{}'", path) : fmt::format("{} '{}'", what, path);
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status))
    return IoError{IoError::Kind::not_found, fmt::format("cannot read {}: no such file", name)};
  if (!fs::is_regular_file(status)) {
    return IoError{IoError::Kind::not_regular, fmt::format("cannot read {}: not a regular file", name)};
  }
  auto size = fs::file_size(path, ec);
  auto limit = [max_bytes] {
    if (max_bytes % (1ull << 30) == 0) return fmt::format("{} GiB", max_bytes >> 30);
    if (max_bytes % (1ull << 20) == 0) return fmt::format("{} MiB", max_bytes >> 20);
    if (max_bytes % (1ull << 10) == 0) return fmt::format("{} KiB", max_bytes >> 10);
    return fmt::format("{} bytes", max_bytes);
  };
  if (!ec && size > max_bytes) {
    return IoError{IoError::Kind::too_large, fmt::format("cannot read {}: it is over {}", name, limit())};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError{IoError::Kind::io, fmt::format("cannot read {}: {}", name, std::strerror(errno))};
  std::string text((std::istreambuf_iterator<char>(in)), {});
  if (in.bad()) return IoError{IoError::Kind::io, fmt::format("cannot read {}", name)};
  if (text.size() > max_bytes) {  // it grew while being read
    return IoError{IoError::Kind::too_large, fmt::format("cannot read {}: it is over {}", name, limit())};
  }
  return text;
}

DiskReader::DiskReader(fs::path root) : root_(std::move(root)) {
  std::error_code ec;
  canonical_root_ = fs::canonical(root_, ec);
  if (ec) canonical_root_.clear();
}

bool DiskReader::root_ok() const {
  std::error_code ec;
  return !canonical_root_.empty() && fs::is_directory(canonical_root_, ec);
}

std::string DiskReader::describe() const {
  return "directory '" + root_.string() + "'";
}

Expected<fs::path> DiskReader::resolve(std::string_view rel) const {
  if (!plain_relative(rel)) {
    return IoError{IoError::Kind::escapes_root, "path '" + std::string(rel) + "' leaves the config root"};
  }
  fs::path full = rel.empty() ? canonical_root_ : canonical_root_ / fs::path(std::string(rel));
  std::error_code ec;
  fs::path real = fs::canonical(full, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      return IoError{IoError::Kind::not_found, "'" + std::string(rel) + "' does not exist"};
    }
    return IoError{IoError::Kind::io, "cannot resolve '" + std::string(rel) + "': " + ec.message()};
  }
  if (!is_within(canonical_root_, real)) {
    return IoError{IoError::Kind::escapes_root, "'" + std::string(rel) + "' is a symlink that leaves the config root"};
  }
  return real;
}

Expected<std::vector<DirEntry>> DiskReader::list(std::string_view dir) const {
  auto real = resolve(dir);
  if (!real) return real.error();
  std::error_code ec;
  if (!fs::is_directory(*real, ec)) {
    return IoError{IoError::Kind::not_found, "'" + std::string(dir) + "' is not a directory"};
  }
  std::vector<DirEntry> out;
  for (fs::directory_iterator it(*real, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code sec;
    // Follow symlinks for the kind; read() checks they stay inside the root.
    bool is_dir = it->is_directory(sec);
    out.push_back({it->path().filename().string(), is_dir});
  }
  if (ec) return IoError{IoError::Kind::io, "cannot list '" + std::string(dir) + "': " + ec.message()};
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Expected<std::string> DiskReader::read(std::string_view path, std::size_t max_bytes) const {
  auto real = resolve(path);
  if (!real) return real.error();
  struct stat st {};
  if (::stat(real->c_str(), &st) != 0) {
    return IoError{IoError::Kind::io, "cannot stat '" + std::string(path) + "'"};
  }
  if (!S_ISREG(st.st_mode)) {
    return IoError{IoError::Kind::not_regular, "'" + std::string(path) + "' is not a regular file"};
  }
  auto size = static_cast<std::size_t>(st.st_size);
  if (size > max_bytes) {
    return IoError{IoError::Kind::too_large,
                   "file is " + std::to_string(size) + " bytes; the limit is " + std::to_string(max_bytes) + " bytes"};
  }
  std::ifstream in(*real, std::ios::binary);
  if (!in) return IoError{IoError::Kind::io, "cannot open '" + std::string(path) + "'"};
  std::string text(size, '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) return IoError{IoError::Kind::io, "cannot read '" + std::string(path) + "'"};
  return text;
}

void MemoryReader::add(std::string path, std::string content) {
  files_[std::move(path)] = std::move(content);
}

Expected<std::vector<DirEntry>> MemoryReader::list(std::string_view dir) const {
  std::string prefix = dir.empty() ? "" : std::string(dir) + "/";
  std::vector<DirEntry> out;
  bool found = dir.empty();
  for (auto it = files_.lower_bound(prefix); it != files_.end(); ++it) {
    const std::string& p = it->first;
    if (p.compare(0, prefix.size(), prefix) != 0) break;
    found = true;
    std::string rest = p.substr(prefix.size());
    auto slash = rest.find('/');
    DirEntry e{slash == std::string::npos ? rest : rest.substr(0, slash), slash != std::string::npos};
    if (out.empty() || out.back().name != e.name) out.push_back(e);
  }
  if (!found) return IoError{IoError::Kind::not_found, "'" + std::string(dir) + "' does not exist"};
  return out;
}

Expected<std::string> MemoryReader::read(std::string_view path, std::size_t max_bytes) const {
  if (!plain_relative(path)) {
    return IoError{IoError::Kind::escapes_root, "path '" + std::string(path) + "' leaves the config root"};
  }
  auto it = files_.find(path);
  if (it == files_.end()) return IoError{IoError::Kind::not_found, "'" + std::string(path) + "' does not exist"};
  if (it->second.size() > max_bytes) {
    return IoError{IoError::Kind::too_large, "file is " + std::to_string(it->second.size()) + " bytes; the limit is " +
                                                 std::to_string(max_bytes) + " bytes"};
  }
  return it->second;
}

std::string_view SourceFile::line(std::uint32_t line_no) const {
  if (line_starts_.empty()) {
    line_starts_.push_back(0);
    for (std::uint32_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') line_starts_.push_back(i + 1);
    }
  }
  if (line_no == 0 || line_no > line_starts_.size()) return {};
  std::size_t begin = line_starts_[line_no - 1];
  std::size_t end = line_no < line_starts_.size() ? line_starts_[line_no] - 1 : text.size();
  std::string_view v(text.data() + begin, end - begin);
  if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
  return v;
}

std::uint32_t SourceSet::add(std::string path, std::string layer, std::string text) {
  auto f = std::make_unique<SourceFile>();
  f->path = std::move(path);
  f->layer = std::move(layer);
  f->text = std::move(text);
  files_.push_back(std::move(f));
  return static_cast<std::uint32_t>(files_.size() - 1);
}

}  // namespace gwctl
