// A signal's disposition for the length of a test, for tests that need SIG_DFL (or another
// handler) whatever the test runner inherited.
#pragma once

#include <signal.h>

namespace test_support {

// Sets `sig`'s handler for the scope and puts the previous disposition back afterwards.
class SignalDisposition {
 public:
  SignalDisposition(int sig, void (*handler)(int)) : sig_(sig) {
    struct sigaction action {};
    action.sa_handler = handler;
    ::sigaction(sig_, &action, &saved_);
  }
  ~SignalDisposition() { ::sigaction(sig_, &saved_, nullptr); }
  SignalDisposition(const SignalDisposition&) = delete;
  SignalDisposition& operator=(const SignalDisposition&) = delete;

 private:
  int sig_;
  struct sigaction saved_ {};
};

}  // namespace test_support
