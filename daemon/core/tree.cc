// Placeholder until the core lands.
#include "daemon/core/tree.h"
