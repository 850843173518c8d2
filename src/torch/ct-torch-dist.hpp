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

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

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

// DDP's gradient reduction, overlapped with the backward pass: the
// parameters, in reverse order (about the order their gradients appear),
// are grouped into buckets of at most @bucket_cap_bytes of float32 (DDP's
// bucket_cap_mb; the first bucket at most 1 MiB, as DDP's, so the first
// allreduce starts early).  A hook on each parameter copies its gradient
// into its bucket as autograd computes it; a bucket whose gradients are all
// in is sent at once (an asynchronous allreduce), in bucket order so every
// rank issues the same collectives in the same order, while the backward
// pass goes on.  The hooks act only between begin() and finish(), so the
// parameters' other backward passes (Grad-CAM) are left alone.
class GradientReducer {
public:
  static constexpr size_t kDefaultCapBytes = 25u << 20;
  static constexpr size_t kFirstCapBytes = 1u << 20;

  GradientReducer(CtDist &dist, const std::vector<torch::Tensor> &params, size_t bucket_cap_bytes);
  ~GradientReducer();
  GradientReducer(const GradientReducer &) = delete;
  GradientReducer &operator=(const GradientReducer &) = delete;

  // Before the backward pass: sends @totals (a small float32 CPU tensor,
  // summed over the ranks) and expects a gradient for every parameter
  // that requires one.
  void begin(const torch::Tensor &totals);
  // After it: sends the buckets still unsent (a parameter that got no
  // gradient), waits for every allreduce, and gives each parameter that got
  // a gradient the average over the ranks.  Returns the summed totals.
  torch::Tensor finish();
  // The backward pass failed between begin() and finish(): the hooks stop
  // acting (the collectives already sent are left to the group).
  void abandon() noexcept;

  size_t n_buckets() const;
  // Since construction: buckets sent, and how many of them a hook sent
  // while the backward pass still ran.
  uint64_t n_sent() const;
  uint64_t n_sent_in_backward() const;

private:
  struct State;
  std::unique_ptr<State> state_;
};

// Makes every ct::BatchNorm2d of @net synchronise over @dist in training
// mode (nullptr: plain BatchNorm again).  @dist must outlive that.
void set_sync_batch_norm(torch::nn::Module &net, CtDist *dist);

} // namespace ct::dist
