// Fixture of the boundary check: a benchmark using a test helper. Never compiled.
#include "mmsim/machine.h"  // allowed
#include "tests/mm_test_util.h"
