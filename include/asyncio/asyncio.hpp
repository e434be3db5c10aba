// Everything asyncio-cpp offers, as `import asyncio` does.
#pragma once

#include <asyncio/base_events.hpp>
#include <asyncio/contextvars.hpp>
#include <asyncio/coroutines.hpp>
#include <asyncio/events.hpp>
#include <asyncio/exceptions.hpp>
#include <asyncio/futures.hpp>
#include <asyncio/graph.hpp>
#include <asyncio/handles.hpp>
#include <asyncio/locks.hpp>
#include <asyncio/log.hpp>
#include <asyncio/protocols.hpp>
#include <asyncio/queues.hpp>
#include <asyncio/runners.hpp>
#include <asyncio/ssl.hpp>
#include <asyncio/streams.hpp>
#include <asyncio/subprocess.hpp>
#include <asyncio/taskgroups.hpp>
#include <asyncio/tasks.hpp>
#include <asyncio/threads.hpp>
#include <asyncio/timeouts.hpp>
#include <asyncio/transports.hpp>
#include <asyncio/unix_events.hpp>
