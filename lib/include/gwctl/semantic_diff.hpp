// Semantic diff: what a change does to each environment's effective gateway (DESIGN.md
// section 6).
//
// Compares two GatewayModels (the normalized `config` of two artifacts) entity by entity:
// providers, model aliases, routes and consumers by name, the gateway settings as one entity.
// Because both sides are normalized, key order, formatting, defaults written out and
// definitions moved between files make no difference. Each change gets a risk (high, medium,
// low) with the reasons. Values are sanitized here, before any renderer sees them: secret
// references stay as {"$secret": NAME}; a literal value under a credential key is masked.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gwctl/artifact.hpp"

namespace gwctl {

enum class Risk : std::uint8_t { none, low, medium, high };
std::string_view to_string(Risk r);
std::optional<Risk> parse_risk(std::string_view s);

enum class ChangeAction : std::uint8_t { create, update, remove };
std::string_view to_string(ChangeAction a);  // "create", "update", "delete"

struct FieldChange {
  std::string path;                      // within the entity: "auth.type", "deployments[openai/gpt-4o].weight"
  std::optional<nlohmann::json> before;  // absent on one side: nullopt
  std::optional<nlohmann::json> after;
  std::string unit;               // "ms" or "bytes" when the schema says the value is a duration or a size
  bool credential_after = false;  // `after` holds a literal credential (shown masked)
};

struct RiskReason {
  Risk risk = Risk::medium;
  std::string text;
};

struct EntityChange {
  std::string kind;  // "gateway", "provider", "model", "route", "consumer"
  std::string name;
  ChangeAction action = ChangeAction::update;
  std::vector<FieldChange> fields;  // for updates
  Risk risk = Risk::none;           // the highest of the reasons
  std::vector<RiskReason> reasons;  // highest first
};

struct EnvironmentDiff {
  std::string env;
  std::string status = "unchanged";  // "changed", "unchanged", "added", "removed", "failed" (errors)
  struct File {
    std::string path;
    std::string change;  // "added", "modified", "deleted"
  };
  std::vector<File> files;            // source files of this environment that changed
  std::vector<EntityChange> changes;  // gateway, providers, models, routes, consumers; by name
  Risk risk = Risk::none;             // the highest of the changes
};

struct DiffReport {
  std::string base_label;  // "HEAD (3f2a…)", "merge base of origin/main and HEAD (…)", "old.json"
  std::string head_label;  // "work tree", "index", a revision
  std::vector<EnvironmentDiff> envs;
  Risk risk = Risk::none;  // the highest of all
};

// The entity changes from `before` to `after` (GatewayModel configs; null for an absent
// environment), classified, in a stable order.
std::vector<EntityChange> diff_models(const nlohmann::json& before, const nlohmann::json& after);

// The source files added, modified or deleted between two compiles (each sorted by path or not),
// by path.
std::vector<EnvironmentDiff::File> changed_files(const std::vector<SourceInfo::File>& before,
                                                 const std::vector<SourceInfo::File>& after);
// An artifact's `source.files`; entries that are not {path, sha256} strings are skipped.
std::vector<SourceInfo::File> source_files_of(const nlohmann::json& artifact);

// Two artifacts (`gwctl diff OLD.json NEW.json`) as one environment: named after theirs, or
// "staging → prod" when they differ, with the changed source files and the entity changes.
// Both must hold a `config` object.
EnvironmentDiff diff_artifacts(const nlohmann::json& before, const nlohmann::json& after);

// Fills `risk` of each environment and of the report from their changes.
void summarize(DiffReport& report);

// "${secret:NAME}" for a reference, "********" for a masked literal, compact JSON otherwise; a
// duration or size shown in its unit ("1500ms" → "1.5s").
std::string display_value(const nlohmann::json& value, const std::string& unit);

// Renderers. Text ends with a one-line summary; colour only when asked for.
std::string render_diff_text(const DiffReport& report, bool color);
// JSON text: format_version 1, fields in a fixed order (not sorted).
std::string render_diff_json(const DiffReport& report);
std::string render_diff_markdown(const DiffReport& report);

}  // namespace gwctl
