// SPDX-License-Identifier: GPL-3.0-or-later
// Compiled as C++: ct-torch.h must also be valid C++.
#include "ct-torch.h"

int
main ()
{
  CtTorchTensor tensor = {};
  return tensor.n_dims;
}
