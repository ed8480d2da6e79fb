// libFuzzer differential target: gwd's document-free JSON scanner (runtime/core/src/json_scan)
// must accept exactly what nlohmann's parser accepts, with two permitted differences: numbers
// beyond a double, which RFC 8259 allows and nlohmann refuses, and a NUL byte, where nlohmann
// stops reading as if the text ended there (the scanner refuses what follows). For an accepted
// object, the body decisions it feeds (model, stream) must be what the parsed document says.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "gwd/decide.hpp"
#include "json_scan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto scan = gwd::detail::scan_json(text);
  bool accepted = nlohmann::json::accept(text);
  if (scan.valid != accepted) {
    bool overflow = false;
    if (scan.valid) {
      try {
        (void)nlohmann::json::parse(text);
      } catch (const nlohmann::json::exception& e) {
        overflow = std::string(e.what()).find("number overflow") != std::string::npos;
      }
    }
    bool nul = !scan.valid && text.find('\0') != std::string::npos;
    if (!overflow && !nul) std::abort();
    return 0;
  }
  if (!accepted) return 0;
  auto doc = nlohmann::json::parse(text);
  if (scan.object != doc.is_object()) std::abort();
  if (!doc.is_object()) return 0;
  for (const auto& [key, value] : doc.items()) {
    const auto* m = gwd::detail::last_member(scan, key);
    if (m == nullptr || nlohmann::json::parse(m->value) != value) std::abort();
  }
  auto body = gwd::parse_body(text);
  if (body.error) return 0;  // "stream" named twice
  auto model = doc.find("model");
  bool is_string = model != doc.end() && model->is_string();
  if (is_string != (body.body.model_kind == gwd::RequestBody::ModelKind::string)) std::abort();
  if (is_string && body.body.model != model->get<std::string>()) std::abort();
  gwd::Deployment d;
  d.id = "fuzz-\"id\"";
  auto rewritten = nlohmann::json::parse(gwd::rewrite_model(body.body, d), nullptr, false);
  if (rewritten.is_discarded() || rewritten["model"] != d.id) std::abort();
  return 0;
}
