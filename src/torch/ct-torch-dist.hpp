// SPDX-License-Identifier: GPL-3.0-or-later
// Inside the shim only: the c10d process group behind a CtDist and the
// collectives training needs.  No c10d type leaves the shim: ct-torch.h sees
// CtDist as an opaque handle, and ct-torch.cpp wraps these in its C entry
// points.  Errors are exceptions (std::invalid_argument for a bad
// environment, std::runtime_error for a peer that is gone).
#pragma once

#include "ct-torch.h"

#include <torch/torch.h>

#include <string>

namespace ct::dist {

// A group from torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK,
// MASTER_ADDR, MASTER_PORT), or nullptr where WORLD_SIZE is unset or 1.
// Every wait (rendezvous, each collective) ends after @timeout_seconds.
// The result is new, for destroy().
CtDist *from_env(double timeout_seconds);
void destroy(CtDist *dist) noexcept;

int rank(const CtDist &dist);
int world_size(const CtDist &dist);
int local_rank(const CtDist &dist);
const char *backend(const CtDist &dist);

// In place over every rank (a CUDA tensor goes through the CPU); @what
// names the step in the error when a peer is gone.
void allreduce_sum(CtDist &dist, torch::Tensor &tensor, const std::string &what);
void broadcast_from_rank0(CtDist &dist, torch::Tensor &tensor, const std::string &what);

} // namespace ct::dist
