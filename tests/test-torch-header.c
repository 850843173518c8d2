/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Compiled as C: ct-torch.h must be plain C. */
#include "ct-torch.h"

int
main (void)
{
  CtTorchTensor tensor = { 0 };
  return tensor.n_dims;
}
