#pragma once
// A password or ACL file that cannot be used, with the place that says why.

#include <stdexcept>

namespace tern::auth {

class load_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Whole-file helpers shared by the file formats.
struct file_lines {
  // Reads `path` (throws load_error naming the file when it cannot).
  static std::string read(const std::string& path);
};

}  // namespace tern::auth
