// Fixture of the boundary check: what a front end may include. Never compiled.
#include <vector>

#include "absl/strings/str_cat.h"
#include "mmsim/control.h"
#include "mmsim/machine.h"
#include "sim/scenario/runner.h"
