/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The torch.save reader (ct-torch-save) and the weights rules (ct-weights)
 * on archives and pickles written here byte by byte, as torch.save lays
 * them out (protocol 2, FOLDER/data.pkl, FOLDER/data/KEY, stored records).
 * Real torch.save files from python3-torch are read by
 * tests/reference/check-import.sh. */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ct-test-data.h"
#include "ct-torch-save.h"
#include "ct-weights.h"

static const float storage0[6] = { 0, 1, 2, 3, 4, 5 };

static void
test_state_dict (void)
{
  for (guint variant = 0; variant < 3; variant++)
    {
      gboolean wrapped = variant >= 1, deflated = variant == 2;
      g_autoptr(GBytes) zip = ct_test_torch_save_bytes (NULL, wrapped, deflated);
      g_autoptr(GError) error = NULL;
      g_autoptr(CtTorchSave) file = ct_torch_save_parse (zip, "x.pt", &error);
      const CtTensorView *w, *n;
      /* element [i][j] of a 2×3 view with strides (1, 2) is storage[i + 2j] */
      const float expected[6] = { 0, 2, 4, 1, 3, 5 };
      gint64 epoch = -1;

      g_assert_no_error (error);
      g_assert_cmpuint (ct_torch_save_get_n_tensors (file), ==, 2);
      w = ct_torch_save_get_tensor (file, 0);
      n = ct_torch_save_get_tensor (file, 1);
      g_assert_cmpstr (w->name, ==, "w");
      g_assert_cmpint (w->dtype, ==, CT_DTYPE_F32);
      g_assert_cmpuint (w->n_dims, ==, 2);
      g_assert_cmpint (w->shape[0], ==, 2);
      g_assert_cmpint (w->shape[1], ==, 3);
      g_assert_cmpmem (w->data, w->n_bytes, expected, sizeof expected);
      g_assert_cmpstr (n->name, ==, "module._orig_mod.n");
      g_assert_cmpint (n->dtype, ==, CT_DTYPE_I64);
      g_assert_cmpuint (n->n_dims, ==, 0);
      g_assert_cmpint (*(const gint64 *) n->data, ==, 42);
      g_assert_cmpstr (ct_torch_save_get_key (file), ==, wrapped ? "state_dict" : "");
      g_assert_cmpint (ct_torch_save_get_epoch (file, &epoch), ==, wrapped);
      if (wrapped)
        g_assert_cmpint (epoch, ==, 7);
    }
}

static void
test_refuses_globals (void)
{
  static const char *const globals[] = { "os\nsystem", "posix\nsystem", "builtins\neval",
                                         "argparse\nNamespace", "torch\nload" };

  for (guint i = 0; i < G_N_ELEMENTS (globals); i++)
    {
      g_autoptr(GBytes) zip = ct_test_torch_save_bytes (globals[i], TRUE, FALSE);
      g_autoptr(GError) error = NULL;
      g_autoptr(CtTorchSave) file = ct_torch_save_parse (zip, "evil.pt", &error);
      g_autofree char *dotted = g_strdelimit (g_strdup (globals[i]), "\n", '.');

      g_assert_null (file);
      g_assert_error (error, CT_TORCH_SAVE_ERROR, CT_TORCH_SAVE_ERROR_REFUSED);
      g_assert_true (g_str_has_prefix (error->message, "evil.pt: "));
      g_assert_nonnull (strstr (error->message, dotted));
    }
}

static void
test_damaged_archives (void)
{
  g_autoptr(GBytes) zip = ct_test_torch_save_bytes (NULL, TRUE, FALSE);
  gsize size;
  const guint8 *data = g_bytes_get_data (zip, &size);

  /* Every truncation is refused with a message, never read past the end. */
  for (gsize cut = 0; cut < size; cut += 7)
    {
      g_autoptr(GBytes) part = g_bytes_new (data, cut);
      g_autoptr(GError) error = NULL;
      g_autoptr(CtTorchSave) file = ct_torch_save_parse (part, "cut.pt", &error);

      g_assert_null (file);
      g_assert_error (error, CT_TORCH_SAVE_ERROR, error->code);
      g_assert_true (g_str_has_prefix (error->message, "cut.pt: "));
    }

  /* A deflated record that would expand 1000×: refused before inflating. */
  {
    g_autofree guint8 *zeros = g_malloc0 (4 << 20);
    CtTestZipEntry entries[] = { { "archive/data.pkl", zeros, 4 << 20, TRUE, 0 } };
    g_autoptr(GBytes) bomb = ct_test_zip_bytes (entries, 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(CtTorchSave) file = ct_torch_save_parse (bomb, "bomb.pt", &error);

    g_assert_null (file);
    g_assert_error (error, CT_TORCH_SAVE_ERROR, CT_TORCH_SAVE_ERROR_ARCHIVE);
    g_assert_nonnull (strstr (error->message, "decompression bomb"));
  }
  /* A record declaring fewer bytes than it inflates to. */
  {
    const char text[] = "\x80\x02}.";
    CtTestZipEntry entries[] = { { "archive/data.pkl", (const guint8 *) text, 4, TRUE, 2 } };
    g_autoptr(GBytes) liar = ct_test_zip_bytes (entries, 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(CtTorchSave) file = ct_torch_save_parse (liar, "liar.pt", &error);

    g_assert_null (file);
    g_assert_error (error, CT_TORCH_SAVE_ERROR, CT_TORCH_SAVE_ERROR_ARCHIVE);
  }
  /* No state dict: the keys are named. */
  {
    const char text[] = "\x80\x02}(X\x05\x00\x00\x00" "epochK\x03u.";
    CtTestZipEntry entries[] = { { "archive/data.pkl", (const guint8 *) text, sizeof text - 1, FALSE, 0 } };
    g_autoptr(GBytes) empty = ct_test_zip_bytes (entries, 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(CtTorchSave) file = ct_torch_save_parse (empty, "e.pt", &error);

    g_assert_null (file);
    g_assert_error (error, CT_TORCH_SAVE_ERROR, CT_TORCH_SAVE_ERROR_NO_WEIGHTS);
    g_assert_nonnull (strstr (error->message, "keys epoch"));
  }
}

/* A view reaching past its storage is refused, not read. */
static void
test_view_bounds (void)
{
  g_autoptr(GString) p = g_string_new ("\x80\x02}(");
  const guint8 shape[1] = { 7 }, stride[1] = { 1 };
  CtTestZipEntry entries[2];
  g_autoptr(GBytes) zip = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CtTorchSave) file = NULL;

  ct_test_pickle_string (p, "w");
  ct_test_pickle_tensor (p, "FloatStorage", "0", 6, 1, shape, stride);
  g_string_append (p, "u.");
  entries[0] = (CtTestZipEntry) { "archive/data.pkl", (const guint8 *) p->str, p->len, FALSE, 0 };
  entries[1] = (CtTestZipEntry) { "archive/data/0", (const guint8 *) storage0, sizeof storage0, FALSE, 0 };
  zip = ct_test_zip_bytes (entries, 2);
  file = ct_torch_save_parse (zip, "far.pt", &error);
  g_assert_null (file);
  g_assert_error (error, CT_TORCH_SAVE_ERROR, CT_TORCH_SAVE_ERROR_PICKLE);
  g_assert_nonnull (strstr (error->message, "element 6 of a storage of 6"));
}

static void
test_strip_prefix (void)
{
  g_assert_cmpstr (ct_weights_strip_prefix ("conv1.weight"), ==, "conv1.weight");
  g_assert_cmpstr (ct_weights_strip_prefix ("module.conv1.weight"), ==, "conv1.weight");
  g_assert_cmpstr (ct_weights_strip_prefix ("_orig_mod.module.fc.bias"), ==, "fc.bias");
  g_assert_cmpstr (ct_weights_strip_prefix ("module._orig_mod.fc.bias"), ==, "fc.bias");
  g_assert_cmpstr (ct_weights_strip_prefix ("layer1.module.x"), ==, "layer1.module.x");
}

static void
test_epochs (void)
{
  const char *const names[] = { "runs/b0_epoch3.pt", "runs/b0_epoch20.pt", "runs/b0_epoch0.pt" };
  const char *const plain[] = { "first.pt", "second.pt" };
  const char *const same[] = { "a1/x5.pt", "b2/x5.pt" };
  const char *const two_vary[] = { "run1_epoch3.pt", "run2_epoch5.pt" };
  const gint64 none[3] = { -1, -1, -1 }, some[3] = { 4, -1, 5 }, all[3] = { 9, 8, 7 };
  int out[3];
  g_autoptr(GError) error = NULL;

  /* The varying run of digits: "b0" stays, the epoch differs. */
  g_assert_true (ct_weights_assign_epochs (names, 3, none, NULL, out, &error));
  g_assert_no_error (error);
  g_assert_cmpint (out[0], ==, 3);
  g_assert_cmpint (out[1], ==, 20);
  g_assert_cmpint (out[2], ==, 0);
  /* Only some files have an entry: the names decide. */
  g_assert_true (ct_weights_assign_epochs (names, 3, some, NULL, out, &error));
  g_assert_cmpint (out[1], ==, 20);
  /* Every file has one: the entries win. */
  g_assert_true (ct_weights_assign_epochs (names, 3, all, NULL, out, &error));
  g_assert_cmpint (out[0], ==, 9);
  g_assert_cmpint (out[2], ==, 7);
  /* --epochs wins over both. */
  g_assert_true (ct_weights_assign_epochs (names, 3, all, "0, 1,2", out, &error));
  g_assert_cmpint (out[0], ==, 0);
  g_assert_cmpint (out[1], ==, 1);
  g_assert_cmpint (out[2], ==, 2);

  g_assert_false (ct_weights_assign_epochs (names, 3, none, "0,1", out, &error));
  g_assert_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_EPOCHS);
  g_clear_error (&error);
  g_assert_false (ct_weights_assign_epochs (names, 3, none, "0,1,x", out, &error));
  g_assert_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_EPOCHS);
  g_clear_error (&error);
  g_assert_false (ct_weights_assign_epochs (names, 3, none, "0,1,1", out, &error));
  g_assert_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_EPOCHS);
  g_clear_error (&error);
  /* No digits, or the same digits (the folders do not count): ask for --epochs. */
  g_assert_false (ct_weights_assign_epochs (plain, 2, none, NULL, out, &error));
  g_assert_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_EPOCHS);
  g_assert_nonnull (strstr (error->message, "--epochs"));
  g_clear_error (&error);
  g_assert_false (ct_weights_assign_epochs (same, 2, none, NULL, out, &error));
  g_assert_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_EPOCHS);
  g_clear_error (&error);
  /* Two runs of digits differ: which is the epoch is not for us to guess. */
  g_assert_false (ct_weights_assign_epochs (two_vary, 2, none, NULL, out, &error));
  g_assert_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_EPOCHS);
  g_clear_error (&error);
  /* Equal entries in the files are refused, not overwritten. */
  {
    const gint64 twice[2] = { 3, 3 };

    g_assert_false (ct_weights_assign_epochs (plain, 2, twice, NULL, out, &error));
    g_assert_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_EPOCHS);
    g_assert_nonnull (strstr (error->message, "both get epoch 3"));
  }
}

/* Shapes tell the stem and the class count. */
static void
test_infer_shape (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-weights-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "w.safetensors", NULL);
  g_autofree float *conv = g_new0 (float, 64 * 3 * 7 * 7);
  g_autofree float *fc = g_new0 (float, 5 * 512);
  CtTensorView views[2] = {
    { "module.conv1.weight", CT_DTYPE_F32, 4, { 64, 3, 7, 7 }, conv, 64 * 3 * 7 * 7 * 4 },
    { "module.fc.weight", CT_DTYPE_F32, 2, { 5, 512 }, fc, 5 * 512 * 4 },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(CtWeights) weights = NULL;
  CtWeightsShape shape;

  g_assert_true (ct_safetensors_save (path, views, 2, NULL, &error));
  weights = ct_weights_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ct_weights_lookup (weights, "conv1.weight"));
  g_assert_true (ct_weights_infer_shape (weights, "resnet18", &shape, &error));
  g_assert_cmpstr (shape.arch, ==, "resnet18_imagenet");
  g_assert_cmpint (shape.n_classes, ==, 5);
  g_assert_cmpint (shape.in_channels, ==, 3);
  g_assert_cmpstr (shape.classifier[0], ==, "fc.weight");
  g_assert_cmpstr (ct_weights_get_sha256 (weights), !=, NULL);
  g_assert_cmpuint (strlen (ct_weights_get_sha256 (weights)), ==, 64);

  g_assert_false (ct_weights_infer_shape (weights, "efficientnet_b0", &shape, &error));
  g_assert_error (error, CT_WEIGHTS_ERROR, CT_WEIGHTS_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "conv_stem.weight"));
  g_unlink (path);
  g_rmdir (dir);
}

/* Half-precision and int32 safetensors become float32 and int64, by hand:
 * 0x3c00 = 1, 0xc000 = −2, 0x3800 = 0.5, 0x7bff = 65504. */
static void
test_widen (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-weights-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "half.safetensors", NULL);
  const guint16 half[4] = { 0x3c00, 0xc000, 0x3800, 0x7bff };
  const gint32 counter[1] = { -5 };
  const float expected[4] = { 1.0f, -2.0f, 0.5f, 65504.0f };
  CtTensorView views[2] = {
    { "w", CT_DTYPE_F16, 1, { 4 }, half, sizeof half },
    { "n", CT_DTYPE_I32, 0, { 0 }, counter, sizeof counter },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(CtWeights) weights = NULL;
  const CtTensorView *w, *n;

  g_assert_true (ct_safetensors_save (path, views, 2, NULL, &error));
  weights = ct_weights_load (path, &error);
  g_assert_no_error (error);
  w = ct_weights_lookup (weights, "w");
  n = ct_weights_lookup (weights, "n");
  g_assert_cmpint (w->dtype, ==, CT_DTYPE_F32);
  g_assert_cmpmem (w->data, w->n_bytes, expected, sizeof expected);
  g_assert_cmpint (n->dtype, ==, CT_DTYPE_I64);
  g_assert_cmpint (*(const gint64 *) n->data, ==, -5);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/torch-save/state-dict", test_state_dict);
  g_test_add_func ("/torch-save/refuses-globals", test_refuses_globals);
  g_test_add_func ("/torch-save/damaged-archives", test_damaged_archives);
  g_test_add_func ("/torch-save/view-bounds", test_view_bounds);
  g_test_add_func ("/weights/strip-prefix", test_strip_prefix);
  g_test_add_func ("/weights/epochs", test_epochs);
  g_test_add_func ("/weights/infer-shape", test_infer_shape);
  g_test_add_func ("/weights/widen", test_widen);
  return g_test_run ();
}
