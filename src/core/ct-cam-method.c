/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ct-cam-method.h"

#include "ct-cam.h"

#include <glib/gi18n-lib.h>

#include <math.h>
#include <string.h>

/* Keep in the order of CtCamMethod: the table is indexed by it.  The titles
 * are marked for translation; the window shows them translated. */
static const CtCamMethodInfo methods[] = {
  { CT_CAM_METHOD_GRADCAM, "gradcam", N_("Grad-CAM"), TRUE, FALSE, CT_CAM_PASSES_NONE },
  { CT_CAM_METHOD_HIRESCAM, "hirescam", N_("HiResCAM"), TRUE, FALSE, CT_CAM_PASSES_NONE },
  { CT_CAM_METHOD_GRADCAM_ELEMENTWISE, "gradcam-elementwise", N_("Grad-CAM element-wise"), TRUE, FALSE, CT_CAM_PASSES_NONE },
  { CT_CAM_METHOD_GRADCAM_PLUSPLUS, "gradcam++", N_("Grad-CAM++"), TRUE, FALSE, CT_CAM_PASSES_NONE },
  { CT_CAM_METHOD_XGRADCAM, "xgradcam", N_("XGrad-CAM"), TRUE, FALSE, CT_CAM_PASSES_NONE },
  { CT_CAM_METHOD_LAYERCAM, "layercam", N_("LayerCAM"), TRUE, FALSE, CT_CAM_PASSES_NONE },
  { CT_CAM_METHOD_EIGENCAM, "eigencam", N_("Eigen-CAM"), FALSE, TRUE, CT_CAM_PASSES_NONE },
  { CT_CAM_METHOD_EIGENGRADCAM, "eigengradcam", N_("Eigen-Grad-CAM"), TRUE, TRUE, CT_CAM_PASSES_NONE },
  { CT_CAM_METHOD_SCORECAM, "scorecam", N_("Score-CAM"), FALSE, FALSE, CT_CAM_PASSES_MASKED_INPUT },
  { CT_CAM_METHOD_ABLATIONCAM, "ablationcam", N_("Ablation-CAM"), FALSE, FALSE,
    CT_CAM_PASSES_ABLATED_CHANNEL },
};

G_STATIC_ASSERT (G_N_ELEMENTS (methods) == CT_CAM_N_METHODS);

/* pytorch-grad-cam's constants: GradCAMPlusPlus's eps, XGradCAM's eps. */
#define PLUSPLUS_EPS 1e-6f
#define XGRADCAM_EPS 1e-7f

const CtCamMethodInfo *
ct_cam_method_get_info (CtCamMethod method)
{
  g_return_val_if_fail ((guint) method < CT_CAM_N_METHODS, &methods[0]);

  return &methods[method];
}

const char *
ct_cam_method_to_string (CtCamMethod method)
{
  return ct_cam_method_get_info (method)->name;
}

gboolean
ct_cam_method_from_string (const char  *name,
                           CtCamMethod *out_method)
{
  g_return_val_if_fail (out_method != NULL, FALSE);

  for (guint i = 0; i < CT_CAM_N_METHODS; i++)
    if (g_strcmp0 (name, methods[i].name) == 0)
      {
        *out_method = methods[i].method;
        return TRUE;
      }
  return FALSE;
}

char *
ct_cam_method_dup_names (const char *separator)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < CT_CAM_N_METHODS; i++)
    g_string_append_printf (names, "%s%s", i > 0 ? separator : "", methods[i].name);
  return g_string_free (g_steal_pointer (&names), FALSE);
}

/* Σ over the @n values of @x, accumulated in double. */
static float
sum (const float *x,
     gsize        n)
{
  double total = 0;

  for (gsize i = 0; i < n; i++)
    total += x[i];
  return (float) total;
}

/* Per-channel weights of the methods that weight whole channels. */
static void
channel_weights (CtCamMethod  method,
                 const float *activations,
                 const float *gradients,
                 guint        channels,
                 gsize        n,
                 float       *weights)
{
  for (guint k = 0; k < channels; k++)
    {
      const float *a = activations + k * n;
      const float *g = gradients + k * n;
      double total = 0;

      switch (method)
        {
        case CT_CAM_METHOD_GRADCAM:
          weights[k] = sum (g, n) / (float) n;
          break;

        case CT_CAM_METHOD_GRADCAM_PLUSPLUS:
          {
            float sum_a = sum (a, n);

            /* Chattopadhyay et al. eq. 19 with the ReLU of eq. 7, as
             * pytorch-grad-cam writes it: a_ij is 0 where the gradient is. */
            for (gsize i = 0; i < n; i++)
              {
                float g2 = g[i] * g[i];
                float g3 = g2 * g[i];
                float aij = g2 / (2.0f * g2 + sum_a * g3 + PLUSPLUS_EPS);

                if (g[i] > 0)
                  total += g[i] * aij;
              }
            weights[k] = (float) total;
          }
          break;

        case CT_CAM_METHOD_XGRADCAM:
          {
            float denominator = sum (a, n) + XGRADCAM_EPS;

            for (gsize i = 0; i < n; i++)
              total += (g[i] * a[i]) / denominator;
            weights[k] = (float) total;
          }
          break;

        default:
          g_return_if_reached ();
        }
    }
}

void
ct_cam_method_combine (CtCamMethod  method,
                       const float *activations,
                       const float *gradients,
                       guint        channels,
                       guint        height,
                       guint        width,
                       float       *out)
{
  gsize n = (gsize) height * width;
  g_autofree double *total = NULL;
  g_autofree float *weights = NULL;

  g_return_if_fail ((guint) method < CT_CAM_N_METHODS && !methods[method].projects &&
                    methods[method].passes == CT_CAM_PASSES_NONE);
  g_return_if_fail (activations != NULL && out != NULL);
  g_return_if_fail (gradients != NULL || !methods[method].needs_gradients);

  total = g_new0 (double, n);
  switch (method)
    {
    case CT_CAM_METHOD_GRADCAM:
    case CT_CAM_METHOD_GRADCAM_PLUSPLUS:
    case CT_CAM_METHOD_XGRADCAM:
      weights = g_new (float, channels);
      channel_weights (method, activations, gradients, channels, n, weights);
      for (guint k = 0; k < channels; k++)
        for (gsize i = 0; i < n; i++)
          total[i] += weights[k] * activations[k * n + i];
      break;

    case CT_CAM_METHOD_HIRESCAM:
      for (gsize i = 0; i < n * channels; i++)
        total[i % n] += gradients[i] * activations[i];
      break;

    case CT_CAM_METHOD_GRADCAM_ELEMENTWISE:
      for (gsize i = 0; i < n * channels; i++)
        {
          float product = gradients[i] * activations[i];

          if (product > 0)
            total[i % n] += product;
        }
      break;

    case CT_CAM_METHOD_LAYERCAM:
      for (gsize i = 0; i < n * channels; i++)
        if (gradients[i] > 0)
          total[i % n] += gradients[i] * activations[i];
      break;

    case CT_CAM_METHOD_EIGENCAM:
    case CT_CAM_METHOD_EIGENGRADCAM:
    case CT_CAM_METHOD_SCORECAM:
    case CT_CAM_METHOD_ABLATIONCAM:
    case CT_CAM_N_METHODS:
    default:
      g_return_if_reached ();
    }

  for (gsize i = 0; i < n; i++)
    out[i] = (float) total[i];
}

void
ct_cam_method_combine_scores (CtCamMethod  method,
                              const float *activations,
                              const float *scores,
                              float        target_score,
                              guint        channels,
                              guint        height,
                              guint        width,
                              float       *out)
{
  gsize n = (gsize) height * width;
  g_autofree double *total = NULL;
  g_autofree float *weights = NULL;

  g_return_if_fail ((guint) method < CT_CAM_N_METHODS &&
                    methods[method].passes != CT_CAM_PASSES_NONE);
  g_return_if_fail (activations != NULL && scores != NULL && out != NULL);

  weights = g_new (float, channels);
  if (method == CT_CAM_METHOD_SCORECAM)
    ct_softmax (scores, channels, weights);
  else
    /* The drop of the target logit, relative to it, in float32 as the
     * reference's NumPy. */
    for (guint k = 0; k < channels; k++)
      weights[k] = (target_score - scores[k]) / target_score;
  total = g_new0 (double, n);
  for (guint k = 0; k < channels; k++)
    for (gsize i = 0; i < n; i++)
      total[i] += weights[k] * activations[k * n + i];
  for (gsize i = 0; i < n; i++)
    out[i] = (float) total[i];
}

void
ct_cam_method_projection_input (CtCamMethod  method,
                                const float *activations,
                                const float *gradients,
                                guint        channels,
                                guint        height,
                                guint        width,
                                float       *out)
{
  gsize n = (gsize) channels * height * width;

  g_return_if_fail ((guint) method < CT_CAM_N_METHODS && methods[method].projects);
  g_return_if_fail (activations != NULL && out != NULL);
  g_return_if_fail (gradients != NULL || !methods[method].needs_gradients);

  if (method == CT_CAM_METHOD_EIGENGRADCAM)
    for (gsize i = 0; i < n; i++)
      out[i] = gradients[i] * activations[i];
  else
    memcpy (out, activations, n * sizeof (float));

  /* get_2d_projection zeroes NaNs before its SVD. */
  for (gsize i = 0; i < n; i++)
    if (isnan (out[i]))
      out[i] = 0;
}
