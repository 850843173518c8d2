// SPDX-License-Identifier: GPL-3.0-or-later
// Compiled as C++: ct-torch.h must also be valid C++, with C linkage.
#include "ct-torch.h"

int
main ()
{
  CtTorchTensor tensor = {};
  CtTorchLayer layer = {};
  CtModelConfig model_config = {};
  CtTrainConfig train_config = {};
  CtTrainProgress progress = {};
  CtTrainProgressFunc progress_func = nullptr;
  CtModel *model = nullptr;
  CtTrainer *trainer = nullptr;
  CtTorchStatus status = CT_TORCH_OK;
  CtTorchDtype dtype = CT_TORCH_DTYPE_INT64;

  (void) layer; (void) model_config; (void) train_config; (void) progress;
  (void) progress_func; (void) model; (void) trainer; (void) dtype;
  static_assert (sizeof tensor.shape / sizeof tensor.shape[0] == CT_TORCH_MAX_DIMS, "shape holds CT_TORCH_MAX_DIMS");
  return tensor.n_dims + static_cast<int> (status);
}
