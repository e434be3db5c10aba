// Delays and timeouts: seconds as any arithmetic type, or any std::chrono::duration.
#pragma once

#include <chrono>
#include <optional>
#include <type_traits>

#include <asyncio/detail/export.hpp>

ASYNCIO_CPP_API_BEGIN
namespace asyncio::detail {

template <class T>
struct is_duration : std::false_type {};
template <class R, class P>
struct is_duration<std::chrono::duration<R, P>> : std::true_type {};

template <class T>
concept Delay =
    std::is_arithmetic_v<std::remove_cvref_t<T>> || is_duration<std::remove_cvref_t<T>>::value;

template <Delay D>
double to_seconds(const D& delay) {
  if constexpr (std::is_arithmetic_v<std::remove_cvref_t<D>>) {
    return static_cast<double>(delay);
  } else {
    return std::chrono::duration<double>(delay).count();
  }
}

/// A timeout parameter that may be absent: std::nullopt (no timeout), seconds as any
/// arithmetic type, any std::chrono::duration, or an std::optional<double> of seconds.
struct OptionalDelay {
  OptionalDelay() = default;
  OptionalDelay(std::nullopt_t) {}
  OptionalDelay(std::optional<double> s) : seconds(s) {}
  template <Delay D>
  OptionalDelay(const D& delay) : seconds(to_seconds(delay)) {}

  std::optional<double> seconds;
};

}  // namespace asyncio::detail
ASYNCIO_CPP_API_END
