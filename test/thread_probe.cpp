// Preloaded into the conformance programs by compare.py in the dev build: records that a
// program started a thread, so that a program the TSan build leaves out (it builds only those
// listed in conformance/threaded.txt) cannot start threads unnoticed. Only the fact is
// recorded: the file ASYNCIO_CPP_THREAD_PROBE_LOG names is created at each pthread_create.
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cstdlib>

namespace {

using CreateFn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);

void note_thread() {
  if (const char* log = std::getenv("ASYNCIO_CPP_THREAD_PROBE_LOG")) {
    const int fd = ::open(log, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
  }
}

}  // namespace

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                              void* arg) {
  static const auto real = reinterpret_cast<CreateFn>(::dlsym(RTLD_NEXT, "pthread_create"));
  note_thread();
  return real(thread, attr, start, arg);
}
