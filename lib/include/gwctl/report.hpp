// Report: how diagnostics and findings look to people (text) and to machines (JSON).
//
// Text: `path:line:col: severity[RULE]: message`, the source line, a caret under the span,
// `= help:` and notes with their own source lines. Colour only when asked for.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gwctl/diagnostic.hpp"
#include "gwctl/lint.hpp"
#include "gwctl/source.hpp"

namespace gwctl {

struct RenderOptions {
  bool color = false;
};

std::string render_diagnostic(const Diagnostic& d, const SourceSet& sources, const RenderOptions& options);
std::string render_diagnostics(const Diagnostics& diags, const SourceSet& sources, const RenderOptions& options);

// Lint output. `text` ends with a one-line summary.
std::string render_findings_text(const LintResult& result, const SourceSet& sources, const RenderOptions& options);
nlohmann::json render_findings_json(const LintResult& result, const SourceSet& sources);

}  // namespace gwctl
