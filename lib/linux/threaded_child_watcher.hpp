// One thread per child, blocked in waitpid(pid): works on any kernel.
#pragma once

#include "child_watcher.hpp"
