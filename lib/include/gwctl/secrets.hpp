// Secrets: what counts as a credential-bearing key, and how a value is hidden. Used wherever
// user text is echoed (rendered source lines, `show`), so that no literal credential reaches a
// CI log. The full secret scanner of the policy rules builds on this.
#pragma once

#include <string>
#include <string_view>

namespace gwctl {

// Keys whose values are credentials: api_key, api_keys, secret, client_secret, password,
// token, credentials, authorization, … (case-insensitive substring match), but not a bare
// "key".
bool looks_like_secret_key(std::string_view key);

// A string is exactly one secret reference, "${secret:NAME}".
bool is_secret_reference(std::string_view value);

// The line with the value of every credential-bearing `key: value` replaced by '*', keeping
// its length so that a caret under the line still lines up.
std::string mask_secret_values(std::string_view line);

}  // namespace gwctl
