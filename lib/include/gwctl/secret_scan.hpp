// Secret scan: literal credentials in the raw text of a file (rules GW301–GW306).
//
// The scan reads bytes, not YAML: comments count, and so do files that do not parse, that the
// schema rejects, or that hold a second document. A value folded over several YAML lines is
// read joined, and a base64 token is decoded and read once more. What it looks for:
//   GW301 an LLM provider's API key (OpenAI, Anthropic, Google, Azure OpenAI, Cohere, Mistral,
//         Groq, xAI, OpenRouter, Perplexity, DeepSeek, Hugging Face, Replicate, LangSmith,
//         Langfuse, AWS Bedrock)
//   GW302 a cloud, VCS or SaaS token (AWS keys, GitHub, GitLab, Slack, Stripe)
//   GW303 a PEM private key of any kind
//   GW304 a JSON Web Token
//   GW305 a password inside a URL
//   GW306 a high-entropy literal under a secret-named key (api_key, client_secret, password…)
// References (`${secret:…}`, `${env:…}`, `vault://…`, SOPS `ENC[…]`), placeholders, vendor
// documentation examples, digests, UUIDs, model ids and public keys are not findings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gwctl/diagnostic.hpp"
#include "gwctl/source.hpp"

namespace gwctl {

struct SecretHit {
  std::string rule;  // "GW301"
  Severity severity = Severity::error;
  std::string provider;    // "OpenAI", "AWS", "PEM"…
  std::string kind;        // "project API key"
  std::string shown;       // the public part a message may quote ("sk-proj-"), or empty
  std::size_t offset = 0;  // byte offset of the secret in the scanned text
  std::size_t length = 0;  // its bytes on that line (a folded secret continues below)
  bool in_comment = false;
  bool encoded = false;  // found by decoding the base64 token at offset
  bool folded = false;   // continues on the following line(s)
};

// Every secret in `text`, in order of offset, at most one per position.
std::vector<SecretHit> scan_secrets(std::string_view text);

struct SecretScanOptions {
  bool skip_comments = false;  // only secrets in values (what could reach an artifact)
};

// One diagnostic per secret in file `file`, with `mask_span` set: the message names the
// provider and kind and quotes at most the public prefix.
void scan_file_for_secrets(const SourceSet& sources, std::uint32_t file, Diagnostics& diags,
                           const SecretScanOptions& options = {});
// The same for every file of the set.
void scan_sources_for_secrets(const SourceSet& sources, Diagnostics& diags, const SecretScanOptions& options = {});

// `text` with every secret the scan finds replaced by '*', keeping its length (for echoing
// source lines and values).
std::string mask_detected_secrets(std::string_view text);
// Whether the scan finds a secret in `text`.
bool contains_detected_secret(std::string_view text);

}  // namespace gwctl
