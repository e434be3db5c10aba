#pragma once
// Symbol visibility of the library's public interface.
//
// The library is built with -fvisibility=hidden, so a shared libasyncio-cpp.so exports only
// what the public headers declare: each of them brackets its declarations with
// ASYNCIO_CPP_API_BEGIN / ASYNCIO_CPP_API_END (after its #includes, so that Asio's and the
// standard library's declarations keep their own visibility). Whatever lib/ declares in its
// own headers, and the Asio internals it instantiates, stay inside the library.
// ASYNCIO_CPP_API marks a single declaration outside such a region.

#define ASYNCIO_CPP_API __attribute__((visibility("default")))
#define ASYNCIO_CPP_API_BEGIN _Pragma("GCC visibility push(default)")
#define ASYNCIO_CPP_API_END _Pragma("GCC visibility pop")
