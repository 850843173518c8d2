// SPDX-License-Identifier: GPL-3.0-or-later
// Inside the shim only: the c10d process group behind a CtDist and the
// collectives training needs.  No c10d type leaves the shim: ct-torch.h sees
// CtDist as an opaque handle, and ct-torch.cpp wraps these in its C entry
// points.  Errors are exceptions (std::invalid_argument for a bad
// environment, PeerLost for a peer that is gone).
#pragma once

#include "ct-torch.h"
#include "ct-torch-models.hpp"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace ct::dist {

// A collective that another rank's death or silence ended: the entry
// points return it as CT_TORCH_ERROR_PEER_LOST.
struct PeerLost : std::runtime_error {
  using std::runtime_error::runtime_error;
};

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

// Each rank's @mine (the same size on every rank), bytes side by side in
// rank order: world_size × mine.numel() bytes, the same on every rank.
torch::Tensor all_gather_bytes(CtDist &dist, const torch::Tensor &mine, const std::string &what);

// The training-mode forward of @bn over the whole group's batch, as
// PyTorch's SyncBatchNorm: every rank's per-channel mean, variance and
// count are gathered (one allreduce, autograd-aware: its backward sums the
// gradients over the ranks too), combined into the global batch's mean and
// biased variance, which normalise; the running statistics move towards
// the global mean and unbiased variance with @bn's momentum.  Every rank
// must call it for the same layers in the same order.
torch::Tensor sync_batch_norm(CtDist &dist, ct::BatchNorm2dImpl &bn, const torch::Tensor &input);

// One agreement step, collective: every rank posts through the store
// either @failure (its error, non-empty) or @summary (what it is about to
// do), then reads everyone's.  Returns "" when all ranks are ready with
// rank 0's summary; otherwise the message to stop with: the first failing
// rank's own error, naming it, or which rank's summary differs.  A rank
// that posts nothing within the timeout is named too.  A rank that posts
// a failure does not wait for the others, and gets "".
// A rank that holds the store (rank 0 outside torchrun's agent) and stops
// waits, at most the timeout, until the others have read the step.
std::string agree(CtDist &dist, const std::string &failure, const std::string &summary);

// For a process that failed before it joined its group (a usage error):
// under torchrun's environment, joins the group and posts @failure at the
// first agreement step, so the others stop with it there; returns true.
// Without torchrun's variables nothing, and false.
bool tell_failure_from_env(double timeout_seconds, const std::string &failure);

// Makes every ct::BatchNorm2d of @net synchronise over @dist in training
// mode (nullptr: plain BatchNorm again).  @dist must outlive that.
void set_sync_batch_norm(torch::nn::Module &net, CtDist *dist);

} // namespace ct::dist
