// The yaml-cpp adapter. The event API is used instead of YAML::Load so that the tree is built
// once, directly in our Node form, and so that duplicate keys, tags, depth and alias expansion
// can be checked as the events arrive (YAML::Load silently keeps duplicate keys and materialises
// nothing we could bound). Every yaml-cpp exception is caught here and nowhere else.
#include "gwctl/load.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <istream>
#include <optional>
#include <streambuf>
#include <unordered_map>

#include <fmt/format.h>

namespace gwctl {

namespace {

// An istream over text we already hold, without copying it.
class ViewBuf : public std::streambuf {
 public:
  ViewBuf(const char* data, std::size_t size) {
    char* p = const_cast<char*>(data);
    setg(p, p, p + size);
  }
};

// Thrown from inside the event handler to stop the parse on a limit.
struct Abort {
  Diagnostic diag;
};

Span span_at(std::uint32_t file, const YAML::Mark& m, std::uint32_t length = 0) {
  if (m.line < 0) return Span{file, 1, 1, 0};
  return Span{file, static_cast<std::uint32_t>(m.line) + 1, static_cast<std::uint32_t>(m.column) + 1, length};
}

// First invalid UTF-8 sequence (or NUL byte), as a byte offset.
struct EncodingProblem {
  std::size_t offset;
  bool nul;
};

std::optional<EncodingProblem> check_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c == 0) return EncodingProblem{i, true};
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else
      return EncodingProblem{i, false};
    if (i + len > n) return EncodingProblem{i, false};
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return EncodingProblem{i, false};
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and out-of-range code points are invalid too.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return EncodingProblem{i, false};
    }
    i += len;
  }
  return std::nullopt;
}

Span span_of_offset(std::uint32_t file, std::string_view text, std::size_t offset) {
  std::uint32_t line = 1, col = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++col;
    }
  }
  return Span{file, line, col, 1};
}

bool is_core_tag(const std::string& tag) {
  return tag.empty() || tag == "?" || tag == "!" || tag == "tag:yaml.org,2002:str" || tag == "tag:yaml.org,2002:int" ||
         tag == "tag:yaml.org,2002:float" || tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null" ||
         tag == "tag:yaml.org,2002:map" || tag == "tag:yaml.org,2002:seq";
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  int base = 10;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    base = s[1] == 'x' ? 16 : 8;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return neg ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
}

bool looks_like_int(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) return true;
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool looks_like_float(std::string_view s) {
  // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
  std::size_t i = 0, n = s.size();
  if (i < n && (s[i] == '-' || s[i] == '+')) ++i;
  std::size_t digits = 0;
  while (i < n && s[i] >= '0' && s[i] <= '9') {
    ++i;
    ++digits;
  }
  if (i < n && s[i] == '.') {
    ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      ++i;
      ++digits;
    }
  }
  if (digits == 0) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t exp = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      ++i;
      ++exp;
    }
    if (exp == 0) return false;
  }
  return i == n;
}

class TreeBuilder final : public YAML::EventHandler {
 public:
  TreeBuilder(std::uint32_t file, const LoadLimits& limits, Diagnostics& diags)
      : file_(file), limits_(limits), diags_(diags) {}

  NodePtr root() const { return root_; }
  std::size_t unreported_duplicates() const {
    return duplicates_ > kMaxDuplicateReports ? duplicates_ - kMaxDuplicateReports : 0;
  }
  bool saw_document() const { return documents_ > 0; }

  void OnDocumentStart(const YAML::Mark&) override { ++documents_; }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto n = std::make_shared<Node>();
    n->span = span_at(file_, mark);
    finish(std::move(n), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      throw Abort{{Severity::error,
                   "GW105",
                   "alias refers to a node that contains it (a cycle)",
                   span_at(file_, mark),
                   {},
                   {},
                   {}}};
    }
    attach(it->second, span_at(file_, mark));
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    check_tag(mark, tag);
    bool quoted = tag == "!";
    bool multiline = value.find('\n') != std::string::npos;
    auto len = static_cast<std::uint32_t>(multiline ? 1 : value.size() + (quoted ? 2 : 0));
    Span span = span_at(file_, mark, len);
    if (expecting_key()) {
      // Keys are kept as text; the tree never needs typed keys.
      pending_key_ = value;
      pending_key_span_ = span;
      have_key_ = true;
      if (anchor) anchor_keys_[anchor] = value;
      return;
    }
    std::shared_ptr<Node> scalar = make_scalar(mark, tag, value, span);
    // Text counts toward the expansion budget too: a long string aliased many times is as
    // costly as many nodes.
    scalar->weight += value.size() / kBytesPerNode;
    scalar->refs = value.find("${") != std::string::npos;
    finish(std::move(scalar), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    check_tag(mark, tag);
    open(NodeKind::sequence, mark, anchor, style == YAML::EmitterStyle::Block);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    check_tag(mark, tag);
    open(NodeKind::mapping, mark, anchor, style == YAML::EmitterStyle::Block);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    std::shared_ptr<Node> node;
    YAML::anchor_t anchor;
    std::vector<NodePtr> merges;                         // values of "<<" keys, applied at the end
    std::unordered_map<std::string, std::size_t> index;  // key → entry, for big mappings
    bool block = false;
  };

  bool expecting_key() const { return !stack_.empty() && stack_.back().node->kind == NodeKind::mapping && !have_key_; }

  void check_tag(const YAML::Mark& mark, const std::string& tag) {
    if (!is_core_tag(tag)) {
      // Show the tag as written: yaml-cpp expands "!!x" to "tag:yaml.org,2002:x".
      std::string shown = tag.starts_with("tag:yaml.org,2002:") ? "!!" + tag.substr(18) : tag;
      throw Abort{{Severity::error,
                   "GW107",
                   fmt::format("unknown YAML tag '{}'", shown),
                   span_at(file_, mark),
                   {},
                   {},
                   "gwctl accepts only plain YAML values; remove the tag"}};
    }
  }

  std::shared_ptr<Node> make_scalar(const YAML::Mark& mark, const std::string& tag, const std::string& value,
                                    Span span) {
    auto n = std::make_shared<Node>();
    n->span = span;
    n->text = value;
    bool plain = tag == "?" || tag.empty();
    auto bad = [&](std::string_view what) {
      throw Abort{{Severity::error,
                   "GW104",
                   fmt::format("'{}' is not a valid {}", value, what),
                   span_at(file_, mark, span.length),
                   {},
                   {},
                   {}}};
    };
    if (tag == "tag:yaml.org,2002:str" || tag == "!") {
      n->kind = NodeKind::string;
      return n;
    }
    bool want_null = tag == "tag:yaml.org,2002:null", want_bool = tag == "tag:yaml.org,2002:bool";
    bool want_int = tag == "tag:yaml.org,2002:int", want_float = tag == "tag:yaml.org,2002:float";
    if ((plain || want_null) &&
        (value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL")) {
      n->kind = NodeKind::null;
      return n;
    }
    if (want_null) bad("null");
    if (plain || want_bool) {
      if (value == "true" || value == "True" || value == "TRUE") {
        n->kind = NodeKind::boolean;
        n->boolean = true;
        return n;
      }
      if (value == "false" || value == "False" || value == "FALSE") {
        n->kind = NodeKind::boolean;
        return n;
      }
      if (want_bool) bad("boolean");
    }
    if ((plain || want_int || want_float) && looks_like_int(value)) {
      if (auto v = parse_int(value)) {
        if (want_float) {
          n->kind = NodeKind::number;
          n->number = static_cast<double>(*v);
        } else {
          n->kind = NodeKind::integer;
          n->integer = *v;
        }
        return n;
      }
      throw Abort{{Severity::error,
                   "GW104",
                   fmt::format("integer '{}' is out of range", value),
                   span,
                   {},
                   {},
                   "integers must fit in 64 bits"}};
    }
    if (want_int) bad("integer");
    if ((plain || want_float) && looks_like_float(value)) {
      double d = 0;
      std::size_t skip = value[0] == '+' ? 1 : 0;  // from_chars does not take a leading '+'
      auto [ptr, ec] = std::from_chars(value.data() + skip, value.data() + value.size(), d);
      (void)ptr;
      if (ec == std::errc::result_out_of_range || !std::isfinite(d)) {
        throw Abort{{Severity::error, "GW104", fmt::format("number '{}' is out of range", value), span, {}, {}, {}}};
      }
      n->kind = NodeKind::number;
      n->number = d;
      return n;
    }
    if (plain && (value == ".inf" || value == "-.inf" || value == ".nan" || value == ".NaN" || value == ".Inf" ||
                  value == "-.Inf")) {
      throw Abort{{Severity::error,
                   "GW104",
                   fmt::format("'{}' is not a finite number", value),
                   span,
                   {},
                   {},
                   "quote it if you meant a string"}};
    }
    if (want_float) bad("number");
    n->kind = NodeKind::string;
    return n;
  }

  void open(NodeKind kind, const YAML::Mark& mark, YAML::anchor_t anchor, bool block) {
    if (expecting_key()) {
      throw Abort{{Severity::error,
                   "GW107",
                   "complex mapping keys are not supported",
                   span_at(file_, mark),
                   {},
                   {},
                   "use a plain string as the key; an unclosed '[' or '{' reads the same way"}};
    }
    if (stack_.size() >= limits_.max_depth) {
      throw Abort{{Severity::error,
                   "GW105",
                   fmt::format("nesting is deeper than {} levels", limits_.max_depth),
                   span_at(file_, mark),
                   {},
                   {},
                   {}}};
    }
    auto n = std::make_shared<Node>();
    n->kind = kind;
    n->span = span_at(file_, mark);
    // The key that leads to this collection, if any, is consumed by attach() later.
    stack_.push_back(Frame{std::move(n), anchor, {}, {}, block});
    key_stack_.push_back({std::move(pending_key_), pending_key_span_, have_key_});
    have_key_ = false;
  }

  void close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    auto saved = std::move(key_stack_.back());
    key_stack_.pop_back();
    pending_key_ = std::move(saved.key);
    pending_key_span_ = saved.span;
    have_key_ = saved.have;
    // yaml-cpp places a block collection at its first child; the key that introduces it is
    // where a reader looks for "this mapping".
    if (frame.block && saved.have) frame.node->span = saved.span;
    if (!frame.merges.empty()) apply_merge_keys(frame);
    finish(std::move(frame.node), frame.anchor);
  }

  // YAML merge keys: entries of `<<: *base` (or a list of them) that the mapping does not set.
  void apply_merge_keys(Frame& frame) {
    auto& node = *frame.node;
    for (const auto& src : frame.merges) {
      std::vector<NodePtr> sources;
      if (src->is_map())
        sources.push_back(src);
      else if (src->is_seq())
        sources = src->items;
      for (const auto& s : sources) {
        if (!s->is_map()) {
          throw Abort{
              {Severity::error, "GW104", "the value of a merge key '<<' must be a mapping", s->span, {}, {}, {}}};
        }
        if (frame.index.empty() && node.entries.size() + s->entries.size() > 16) {
          for (std::size_t i = 0; i < node.entries.size(); ++i) frame.index[node.entries[i].key] = i;
        }
        for (const auto& e : s->entries) {
          if (frame.index.empty() ? node.entry(e.key) != nullptr : frame.index.count(e.key) > 0) continue;
          if (!frame.index.empty()) frame.index[e.key] = node.entries.size();
          node.directives |= e.key.starts_with('$') || e.value->kind == NodeKind::null || e.value->directives;
          node.refs |= e.value->refs;
          node.entries.push_back(e);
          add_weight(node, e.value->weight);
        }
      }
    }
  }

  void add_weight(Node& parent, std::uint64_t w) {
    parent.weight += w;
    if (parent.weight > limits_.max_nodes) {
      throw Abort{{Severity::error,
                   "GW105",
                   fmt::format("the document expands to more than {} nodes (alias expansion)", limits_.max_nodes),
                   parent.span,
                   {},
                   {},
                   "an alias bomb, or a config far larger than any gateway needs"}};
    }
  }

  void finish(NodePtr node, YAML::anchor_t anchor) {
    if (anchor) anchors_[anchor] = node;
    attach(std::move(node), {});
  }

  void attach(NodePtr node, Span alias_span) {
    (void)alias_span;
    if (stack_.empty()) {
      root_ = std::move(node);
      return;
    }
    Frame& top = stack_.back();
    Node& parent = *top.node;
    if (parent.kind == NodeKind::sequence) {
      add_weight(parent, node->weight);
      parent.directives |= node->directives;
      parent.refs |= node->refs;
      parent.items.push_back(std::move(node));
      return;
    }
    if (!have_key_) {
      // An alias used as a key.
      throw Abort{{Severity::error, "GW107", "a mapping key must be a plain string", node->span, {}, {}, {}}};
    }
    have_key_ = false;
    if (pending_key_ == "<<") {
      add_weight(parent, node->weight);
      top.merges.push_back(std::move(node));
      return;
    }
    std::size_t existing = SIZE_MAX;
    if (parent.entries.size() < 16) {
      for (std::size_t i = 0; i < parent.entries.size(); ++i) {
        if (parent.entries[i].key == pending_key_) existing = i;
      }
    } else {
      if (top.index.empty()) {
        for (std::size_t i = 0; i < parent.entries.size(); ++i) top.index[parent.entries[i].key] = i;
      }
      auto it = top.index.find(pending_key_);
      if (it != top.index.end()) existing = it->second;
    }
    if (existing != SIZE_MAX) {
      // One file full of duplicates should not produce a report larger than the file.
      if (++duplicates_ > kMaxDuplicateReports) return;
      Diagnostic d{Severity::error,
                   "GW103",
                   fmt::format("duplicate key '{}'", pending_key_),
                   pending_key_span_,
                   {},
                   {},
                   "YAML keeps only one of them; remove or rename one"};
      d.notes.push_back({"first defined here", parent.entries[existing].key_span});
      diags_.report(std::move(d));
      return;
    }
    add_weight(parent, node->weight);
    parent.directives |= pending_key_.starts_with('$') || node->kind == NodeKind::null || node->directives;
    parent.refs |= node->refs;
    if (!top.index.empty()) top.index[pending_key_] = parent.entries.size();
    parent.entries.push_back(Entry{std::move(pending_key_), pending_key_span_, std::move(node)});
    pending_key_.clear();
  }

  struct SavedKey {
    std::string key;
    Span span;
    bool have;
  };

  std::uint32_t file_;
  const LoadLimits& limits_;
  Diagnostics& diags_;
  std::vector<Frame> stack_;
  std::vector<SavedKey> key_stack_;
  std::string pending_key_;
  Span pending_key_span_;
  bool have_key_ = false;
  std::unordered_map<YAML::anchor_t, NodePtr> anchors_;
  std::unordered_map<YAML::anchor_t, std::string> anchor_keys_;
  NodePtr root_;
  int documents_ = 0;
  static constexpr std::size_t kMaxDuplicateReports = 20;
  static constexpr std::size_t kBytesPerNode = 64;
  std::size_t duplicates_ = 0;
};

// YAML forbids '{' and '}' in plain scalars inside flow collections, so `[${secret:K}]` fails
// with a confusing message; say what happened and show the quoted form.
std::string flow_reference_hint(std::string_view line) {
  auto pos = line.find("${");
  if (pos == std::string_view::npos) return {};
  auto flow = line.find_first_of("[{");
  if (flow == std::string_view::npos || flow > pos) return {};
  if (pos > 0 && (line[pos - 1] == '"' || line[pos - 1] == '\'')) return {};
  auto end = line.find('}', pos);
  if (end == std::string_view::npos) return {};
  std::string ref(line.substr(pos, end - pos + 1));
  return fmt::format("inside a flow collection ('[...]' or '{{...}}') a reference must be quoted: \"{}\"", ref);
}

}  // namespace

ConfigTree load_yaml(const SourceSet& sources, std::uint32_t file, const LoadLimits& limits, Diagnostics& diags) {
  ConfigTree tree;
  tree.file = file;
  const SourceFile& src = sources.file(file);
  std::string_view text = src.text;
  if (text.size() > limits.max_file_bytes) {
    diags.error("GW105", fmt::format("file is {} bytes; the limit is {} bytes", text.size(), limits.max_file_bytes),
                Span{file, 1, 1, 0});
    tree.failed = true;
    return tree;
  }
  if (auto bad = check_utf8(text)) {
    Span s = span_of_offset(file, text, bad->offset);
    if (bad->nul) {
      diags.error("GW106", "file contains a NUL byte; it looks like a binary file, not YAML", s);
    } else {
      diags.error("GW106", fmt::format("invalid UTF-8 byte 0x{:02x}", static_cast<unsigned char>(text[bad->offset])), s)
          .hint = "save the file as UTF-8";
    }
    tree.failed = true;
    return tree;
  }
  std::size_t skip = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  ViewBuf buf(text.data() + skip, text.size() - skip);
  std::istream in(&buf);
  std::size_t before = diags.size();
  try {
    YAML::Parser parser(in);
    TreeBuilder builder(file, limits, diags);
    if (parser.HandleNextDocument(builder)) {
      tree.root = builder.root();
      if (std::size_t more = builder.unreported_duplicates()) {
        diags.error("GW103", fmt::format("{} more duplicate keys in this file", more), Span{file, 1, 1, 0}).hint =
            "only the first 20 are shown";
      }
      TreeBuilder second(file, limits, diags);
      if (parser.HandleNextDocument(second) && second.root()) {
        diags.error("GW107", "a config file must hold one YAML document; this is the second", second.root()->span)
            .hint = "split the documents into separate files";
        tree.failed = true;
      }
    }
  } catch (const Abort& abort) {
    diags.report(abort.diag);
    tree.failed = true;
  } catch (const YAML::Exception& e) {
    Span s = span_at(file, e.mark);
    Diagnostic d{Severity::error, "GW101", e.msg.empty() ? std::string("malformed YAML") : e.msg, s, {}, {}, {}};
    if (!d.message.empty()) d.message[0] = static_cast<char>(std::tolower(d.message[0]));
    for (std::uint32_t l = s.line; l >= 1 && l + 2 >= s.line; --l) {
      d.hint = flow_reference_hint(src.line(l));
      if (!d.hint.empty()) break;
    }
    diags.report(std::move(d));
    tree.failed = true;
  } catch (const std::exception& e) {
    diags.error("GW101", fmt::format("could not parse YAML: {}", e.what()), Span{file, 1, 1, 0});
    tree.failed = true;
  }
  (void)before;  // duplicate keys are reported but keep the tree: every problem in one run
  if (tree.failed) tree.root = nullptr;
  return tree;
}

std::uint32_t read_source(const FileReader& reader, const std::string& path, const std::string& layer,
                          SourceSet& sources, const LoadLimits& limits, Diagnostics& diags, bool& readable) {
  auto text = reader.read(path, limits.max_file_bytes);
  readable = text.ok();
  if (readable) return sources.add(path, layer, std::move(*text));
  std::uint32_t id = sources.add(path, layer, "");
  const IoError& e = text.error();
  diags.error(e.kind == IoError::Kind::too_large ? "GW105" : "GW113", e.message, Span{id, 1, 1, 0});
  return id;
}

ConfigTree load_file(const FileReader& reader, const std::string& path, const std::string& layer, SourceSet& sources,
                     const LoadLimits& limits, Diagnostics& diags) {
  bool readable = false;
  std::uint32_t id = read_source(reader, path, layer, sources, limits, diags, readable);
  if (readable) return load_yaml(sources, id, limits, diags);
  ConfigTree t;
  t.file = id;
  t.failed = true;
  return t;
}

}  // namespace gwctl
