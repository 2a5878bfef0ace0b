// Fixture of the boundary check: a front end reaching into the model two ways. Never compiled.
#include "../internal.h"
#include "sim/vma_helpers.h"
#include "sim/scenario/runner.h"  // allowed: the front end's own header
