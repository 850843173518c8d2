/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Compiled as C: ct-torch.h must be plain C, with no other header before it. */
#include "ct-torch.h"

int
main (void)
{
  CtTorchTensor tensor = { 0 };
  CtTorchLayer layer = { 0 };
  CtModelConfig model_config = { 0 };
  CtTrainConfig train_config = { 0 };
  CtTrainProgress progress = { 0 };
  CtTrainProgressFunc progress_func = NULL;
  CtModel *model = NULL;
  CtTrainer *trainer = NULL;
  CtTorchStatus status = CT_TORCH_OK;
  CtTorchDtype dtype = CT_TORCH_DTYPE_INT64;

  (void) layer; (void) model_config; (void) train_config; (void) progress;
  (void) progress_func; (void) model; (void) trainer; (void) dtype;
  return tensor.n_dims + (int) status + (sizeof tensor.shape / sizeof tensor.shape[0] != CT_TORCH_MAX_DIMS);
}
