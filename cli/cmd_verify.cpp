// gwctl verify: an artifact's schema, digest and (with --public-key) signature; with
// --previous, the earlier artifact too and the promotion link between the two.
//
//   gwctl verify ARTIFACT [--public-key KEY] [--previous EARLIER.json] [--format text|json]
#include <fmt/format.h>

#include "common.hpp"
#include "gwctl/signing.hpp"

namespace gwctl::cli {

namespace {

using json = nlohmann::json;

struct VerifyArgs {
  std::string artifact;
  std::string public_key;
  std::string previous;
  std::string format = "text";
};

struct Checked {
  std::string path;
  std::string role;  // "artifact" | "previous"
  ArtifactCheck check;
};

std::string short_digest(const json& artifact) {
  std::string d = artifact.value("digest", std::string());
  return d.size() > 19 ? d.substr(0, 19) + "…" : d;
}

// What a passing check says about the signature.
std::string signature_word(const ArtifactCheck& c) {
  if (c.signature_checked) return "verified";
  return c.signed_by ? "not_checked" : "unsigned";
}

void print_text(const Checked& c) {
  const ArtifactCheck& k = c.check;
  if (!k.ok()) {
    fmt::print(stderr, "{}: error: {}\n", c.path, k.message);
    return;
  }
  std::string signature;
  if (k.signature_checked) {
    signature = fmt::format("signature ok (key {})", *k.signed_by);
  } else if (k.signed_by) {
    signature = fmt::format("signed by key {} (not checked: no --public-key)", *k.signed_by);
  } else {
    signature = "not signed";
  }
  fmt::print("{}: digest ok ({}, {}), {}\n", c.path, k.artifact.value("environment", std::string()),
             short_digest(k.artifact), signature);
}

json artifact_json(const Checked& c) {
  const ArtifactCheck& k = c.check;
  const bool parsed = k.artifact.is_object();
  auto field = [&](const char* name) {
    return parsed && k.artifact.contains(name) && k.artifact[name].is_string() ? k.artifact[name] : json(nullptr);
  };
  return {{"file", c.path},
          {"role", c.role},
          {"status", status_name(k.status)},
          {"message", k.ok() ? json(nullptr) : json(k.message)},
          {"environment", field("environment")},
          {"digest", field("digest")},
          {"signed_by", k.signed_by ? json(*k.signed_by) : json(nullptr)},
          {"signature", k.ok() ? json(signature_word(k)) : json(nullptr)}};
}

int run_verify(const VerifyArgs& args) {
  std::optional<PublicKey> key;
  if (!args.public_key.empty()) {
    auto read = PublicKey::read(args.public_key);
    if (!read) {
      error(read.error().message);
      return failure;
    }
    key = std::move(*read);
  }
  std::vector<Checked> checked;
  for (const auto& [path, role] : {std::pair{args.artifact, "artifact"}, std::pair{args.previous, "previous"}}) {
    if (path.empty()) continue;
    auto text = read_input(path);
    if (!text) return failure;
    checked.push_back({path, role, check_artifact(*text, key ? &*key : nullptr)});
  }

  // The promotion link, once both artifacts are known to be what they say.
  std::optional<std::string> chain_problem;
  bool chain_checked = false;
  if (checked.size() == 2 && checked[0].check.ok() && checked[1].check.ok()) {
    chain_checked = true;
    chain_problem = check_promotion(checked[0].check.artifact, checked[1].check.artifact);
  }

  int code = ok;
  for (const Checked& c : checked) {
    if (c.check.unusable()) {
      code = failure;
    } else if (!c.check.ok() && code == ok) {
      code = gate;
    }
  }
  if (chain_problem && code == ok) code = gate;

  if (args.format == "json") {
    json out = {{"format_version", 1}, {"ok", code == ok}, {"artifacts", json::array()}, {"promotion", nullptr}};
    for (const Checked& c : checked) out["artifacts"].push_back(artifact_json(c));
    if (chain_checked) {
      out["promotion"] = {{"ok", !chain_problem}, {"message", chain_problem ? json(*chain_problem) : json(nullptr)}};
    }
    if (!write_output("", out.dump(2) + "\n")) return failure;
    return code;
  }
  for (const Checked& c : checked) print_text(c);
  if (chain_checked) {
    if (chain_problem) {
      fmt::print(stderr, "{}: error: {}\n", args.artifact, *chain_problem);
    } else {
      const json& earlier = checked[1].check.artifact;
      fmt::print("{}: promoted from {} ({}, {}): chain ok\n", args.artifact,
                 earlier.value("environment", std::string()), args.previous, short_digest(earlier));
    }
  }
  return code;
}

}  // namespace

Command register_verify(CLI::App& app, const GlobalOptions&) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* sub = app.add_subcommand("verify", "Check an artifact's schema, digest and signature");
  sub->add_option("artifact", args->artifact, "Artifact file to verify")->required()->type_name("ARTIFACT");
  sub->add_option("--public-key", args->public_key,
                  "Public key PEM (PREFIX.pub): the artifact must be signed by it (without: the signature is "
                  "reported, not checked)")
      ->type_name("KEY");
  sub->add_option("--previous", args->previous,
                  "The artifact this one was promoted from: verified too, and promoted_from must name it")
      ->type_name("EARLIER.json");
  sub->add_option("--format", args->format, "Output format: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->type_name("FORMAT");
  return {sub, [args] { return run_verify(*args); }};
}

}  // namespace gwctl::cli
