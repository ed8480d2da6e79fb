#pragma once

#include <string_view>

namespace gwctl {

std::string_view version();

}  // namespace gwctl
