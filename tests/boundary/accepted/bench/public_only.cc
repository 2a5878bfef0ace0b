// Fixture of the boundary check: what a benchmark may include. Never compiled.
#include "mmsim/policy_toolkit.h"
#include "mmsim/syscalls.h"
