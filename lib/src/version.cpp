#include "gwctl/version.hpp"

namespace gwctl {

std::string_view version() {
  return GWCTL_VERSION;
}

}  // namespace gwctl
