// A child's pidfd becomes readable when it exits: watched through the loop's io_context.
#pragma once

#include "child_watcher.hpp"
