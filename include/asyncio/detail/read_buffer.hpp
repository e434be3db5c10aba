// StreamReader's bytes: unread data is [begin, end) of one block. A transport can recv()
// straight into the free tail (prepare/commit), which saves a copy per read, and growing
// leaves the new bytes uninitialised, so a large tail costs nothing until it is written.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio::detail {

class ReadBuffer {
 public:
  std::size_t size() const noexcept { return end_ - begin_; }
  std::string_view view() const noexcept { return {data_.get() + begin_, size()}; }

  void append(std::string_view data);
  /// The free tail, at least `min_free` bytes; write into it, then commit() what was written.
  std::span<char> prepare(std::size_t min_free);
  void commit(std::size_t n) noexcept { end_ += n; }
  void consume(std::size_t n) noexcept {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;  // empty: the next read starts at the front
  }

 private:
  void make_room(std::size_t min_free);

  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace asyncio::detail
ASYNCIO_CPP_API_END
