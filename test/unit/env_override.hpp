// Sets or unsets an environment variable for the scope of a test, and restores it after.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace test_support {

class EnvOverride {
 public:
  explicit EnvOverride(const char* name) : name_(name) {
    if (const char* old = std::getenv(name)) saved_ = old;
  }
  EnvOverride(const char* name, const char* value) : EnvOverride(name) { ::setenv(name, value, 1); }
  ~EnvOverride() {
    if (saved_) {
      ::setenv(name_, saved_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  EnvOverride(const EnvOverride&) = delete;
  EnvOverride& operator=(const EnvOverride&) = delete;

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

}  // namespace test_support
