// The last steps of an import, shared by every format: valid unique ids, the JSON text in
// the SPEC's key order, and the summary line.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/import/model.h"

namespace supd::cli::import {

/// Makes every id valid (`[A-Za-z0-9_.-]{1,64}`: other characters become `_`, long ids
/// are cut) and unique among its siblings (`-2`, `-3`, ... appended), adding one note per
/// changed id.
void MakeIdsValid(Node& root, std::vector<std::string>& notes);

/// The config as SPEC §1 orders its keys (child keys, then worker or supervisor keys, in
/// the order of the SPEC's tables).
nlohmann::ordered_json ToJson(const Node& root);

/// `imported 7 programs in 2 groups; 3 notes` (supervisord) or
/// `imported 3 services; 1 note` (`groups` < 0: formats without groups).
std::string Summary(int programs, int groups, std::size_t notes);

}  // namespace supd::cli::import
