// A string that is almost always empty (a cancellation's message): one pointer in the object
// that holds it, and a heap string only once it is given text. Future and task states carry
// two; as std::string they were 64 of a task's bytes.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio::detail {

class RareString {
 public:
  RareString() = default;
  RareString(const RareString& other) { *this = other.str(); }
  RareString(RareString&&) noexcept = default;
  RareString& operator=(const RareString& other) { return *this = other.str(); }
  RareString& operator=(RareString&&) noexcept = default;
  ~RareString() = default;

  RareString& operator=(std::string text) {
    if (text.empty()) {
      text_.reset();
    } else if (text_) {
      *text_ = std::move(text);
    } else {
      text_ = std::make_unique<std::string>(std::move(text));
    }
    return *this;
  }
  const std::string& str() const noexcept { return text_ ? *text_ : empty_string(); }
  operator const std::string&() const noexcept { return str(); }  // NOLINT: reads as a string
  bool empty() const noexcept { return !text_; }

 private:
  static const std::string& empty_string() noexcept {
    static const std::string none;
    return none;
  }

  std::unique_ptr<std::string> text_;
};

}  // namespace asyncio::detail
ASYNCIO_CPP_API_END
