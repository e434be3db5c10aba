#include <asyncio/detail/callable.hpp>
#include <asyncio/exceptions.hpp>

#include <cxxabi.h>

#include <charconv>
#include <cstdlib>
#include <memory>
#include <system_error>

namespace asyncio {

namespace {
std::string incomplete_message(std::size_t got, const std::optional<std::size_t>& expected) {
  std::string total = expected ? std::to_string(*expected) : "undefined";
  return std::to_string(got) + " bytes read on a total of " + total + " expected bytes";
}
}  // namespace

IncompleteReadError::IncompleteReadError(std::string partial_bytes,
                                         std::optional<std::size_t> expected_bytes)
    : Error(incomplete_message(partial_bytes.size(), expected_bytes)),
      partial(std::move(partial_bytes)),
      expected(expected_bytes) {}

ExceptionGroup::ExceptionGroup(const std::string& message, std::vector<std::exception_ptr> excs)
    : Error(message + " (" + std::to_string(excs.size()) + " sub-exception" +
            (excs.size() == 1 ? ")" : "s)")),
      exceptions(std::move(excs)) {}

namespace {
struct NameAndMessage {
  std::string name;
  std::string message;
};

NameAndMessage name_and_message(const std::exception_ptr& exc) {
  try {
    std::rethrow_exception(exc);
  } catch (const CancelledError& e) {
    return {"asyncio::CancelledError", e.message()};
  } catch (const KeyboardInterrupt&) {
    return {"asyncio::KeyboardInterrupt", ""};
  } catch (const std::exception& e) {
    return {detail::demangle(typeid(e)), e.what()};
  } catch (...) {
    return {"unknown exception", ""};
  }
}
}  // namespace

std::string describe_exception(const std::exception_ptr& exc) {
  if (!exc) return "None";
  auto [name, message] = name_and_message(exc);
  return message.empty() ? name : name + ": " + message;
}

std::string exception_repr(const std::exception_ptr& exc) {
  if (!exc) return "None";
  auto [name, message] = name_and_message(exc);
  return message.empty() ? name + "()" : name + "('" + message + "')";
}

namespace detail {

std::string demangle(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

template <class N>
static void append_chars(std::string& out, N value) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, res.ptr);
}

void append_number(std::string& out, double value) {
  std::size_t start = out.size();
  append_chars(out, value);
  // Python prints 2.0, not 2.
  if (out.find_first_of(".eninf", start) == std::string::npos) out += ".0";
}
void append_number(std::string& out, long long value) {
  append_chars(out, value);
}
void append_number(std::string& out, unsigned long long value) {
  append_chars(out, value);
}

}  // namespace detail
}  // namespace asyncio
