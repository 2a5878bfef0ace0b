// Fixture of the boundary check: a policy naming internal.h without a directory. Never compiled.
#include "internal.h"
