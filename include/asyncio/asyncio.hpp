// Everything asyncio-cpp offers, as `import asyncio` does.
#pragma once

#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/handles.hpp>
#include <asyncio/log.hpp>
