// Sources: how gwctl reads the config repository.
//
// Every byte the compiler sees comes through a FileReader, rooted at the config root. The disk
// reader refuses paths and symlinks that leave the root and non-regular files; later a Git tree
// and the index implement the same interface. Files that were read are registered in a
// SourceSet, which gives Spans their meaning and keeps the text for rendering source lines.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace gwctl {

// An environment failure (not a user mistake in the config): the second channel of STYLE.md 9.
struct IoError {
  enum class Kind { not_found, too_large, escapes_root, not_regular, io };
  Kind kind = Kind::io;
  std::string message;
};

template <typename T>
class Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}
  Expected(IoError error) : v_(std::move(error)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const IoError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, IoError> v_;
};

struct DirEntry {
  std::string name;
  bool is_dir = false;
};

class FileReader {
 public:
  virtual ~FileReader() = default;
  // Entries of a directory relative to the root ("" is the root), sorted by name.
  virtual Expected<std::vector<DirEntry>> list(std::string_view dir) const = 0;
  // The content of a file relative to the root; files above max_bytes are refused unread.
  virtual Expected<std::string> read(std::string_view path, std::size_t max_bytes) const = 0;
  // Where the files come from, for messages ("directory examples/acme").
  virtual std::string describe() const = 0;
};

// Reads a directory on disk, confined to it.
class DiskReader final : public FileReader {
 public:
  explicit DiskReader(std::filesystem::path root);
  Expected<std::vector<DirEntry>> list(std::string_view dir) const override;
  Expected<std::string> read(std::string_view path, std::size_t max_bytes) const override;
  std::string describe() const override;
  // Whether the root exists and is a directory.
  bool root_ok() const;

 private:
  Expected<std::filesystem::path> resolve(std::string_view rel) const;
  std::filesystem::path root_;
  std::filesystem::path canonical_root_;
};

// An in-memory tree, for tests and for sources assembled by other readers.
class MemoryReader final : public FileReader {
 public:
  void add(std::string path, std::string content);
  Expected<std::vector<DirEntry>> list(std::string_view dir) const override;
  Expected<std::string> read(std::string_view path, std::size_t max_bytes) const override;
  std::string describe() const override { return "memory"; }

 private:
  std::map<std::string, std::string, std::less<>> files_;
};

// A relative path from a config or a Git tree: not absolute, and no ".." part.
bool plain_relative(std::string_view rel);

// A file named on the command line (an artifact, a baseline, a key), read whole: it must exist
// and be a regular file of at most `max_bytes`. `what` names it in messages ("the key"); the
// messages read "cannot read the key 'PATH': no such file" (or "cannot read 'PATH': …").
Expected<std::string> read_input_file(const std::string& path, std::uintmax_t max_bytes, std::string_view what = {});

struct SourceFile {
  std::string path;   // relative to the config root, '/'-separated
  std::string layer;  // "project", "base", "env:prod", "flag:canary"
  std::string text;
  // Byte offsets of line starts, computed on first use.
  std::string_view line(std::uint32_t line_no) const;

 private:
  mutable std::vector<std::uint32_t> line_starts_;
};

// The files of one run. Indices are stable; pointers to files stay valid.
class SourceSet {
 public:
  std::uint32_t add(std::string path, std::string layer, std::string text);
  const SourceFile& file(std::uint32_t id) const { return *files_.at(id); }
  // Names a file for people differently from how its reader found it (a folder outside the
  // config root, shown by its label).
  void rename(std::uint32_t id, std::string path) { files_.at(id)->path = std::move(path); }
  std::size_t size() const { return files_.size(); }

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
};

}  // namespace gwctl
