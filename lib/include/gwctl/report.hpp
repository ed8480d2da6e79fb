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

// CI formats. Findings without a source position are placed at `fallback_file` line 1
// (SARIF and Code Quality require a location).
// SARIF 2.1.0: one run, the rules that fired with their documentation, a physical location with
// a region for every result, partial fingerprints.
nlohmann::json render_findings_sarif(const LintResult& result, const SourceSet& sources,
                                     const std::string& fallback_file);
// JUnit XML: a testsuite per file, a failing testcase per finding.
std::string render_findings_junit(const LintResult& result, const SourceSet& sources, const std::string& fallback_file);
// GitHub Actions workflow commands: "::error file=…,line=…,col=…,title=GW…::message".
std::string render_findings_github(const LintResult& result, const SourceSet& sources);
// GitLab Code Quality report.
nlohmann::json render_findings_gitlab(const LintResult& result, const SourceSet& sources,
                                      const std::string& fallback_file);

}  // namespace gwctl
