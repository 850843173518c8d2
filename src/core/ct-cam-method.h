/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The CAM methods, one table for the command line, the engine, the window
 * and the benchmarks.  Names and definitions are pytorch-grad-cam's.  Every
 * method turns the target layer's activations A (c × h × w for one image)
 * and, for most, the gradient G = ∂y^t/∂A of the target logit into one
 * h × w map before ReLU; ct_cam_postprocess() (ct-cam.h) does the rest, the
 * same for every method.
 *
 *   gradcam              Σ_k mean_ij(G_k) · A_k
 *   hirescam             Σ_k G_k ⊙ A_k
 *   gradcam-elementwise  Σ_k max(G_k ⊙ A_k, 0)
 *   gradcam++            Σ_k w_k · A_k,  w_k = Σ_ij max(G_kij, 0) · a_kij,
 *                        a_kij = G²/(2G² + Σ_ij A_k · G³ + 1e-6), 0 where G = 0
 *   xgradcam             Σ_k w_k · A_k,  w_k = Σ_ij G_kij · A_kij / (Σ_ij A_kij + 1e-7)
 *   layercam             Σ_k max(G_k, 0) ⊙ A_k
 *   eigencam             projection of A on its first principal component
 *   eigengradcam         the same of G ⊙ A
 *   scorecam             Σ_k softmax_k(s) · A_k, s_k the target logit of the
 *                        image masked by A_k scaled to [0, 1]
 *   ablationcam          Σ_k (y − s_k) / y · A_k, y the target logit and s_k
 *                        the logit with channel k of A ablated
 * (the last two run forward passes per channel in the shim, no gradients)
 *
 * The element-wise products and quotients are float32 in NumPy's order;
 * sums over channels or positions are accumulated in double. */

typedef enum {
  CT_CAM_METHOD_GRADCAM,
  CT_CAM_METHOD_HIRESCAM,
  CT_CAM_METHOD_GRADCAM_ELEMENTWISE,
  CT_CAM_METHOD_GRADCAM_PLUSPLUS,
  CT_CAM_METHOD_XGRADCAM,
  CT_CAM_METHOD_LAYERCAM,
  CT_CAM_METHOD_EIGENCAM,
  CT_CAM_METHOD_EIGENGRADCAM,
  CT_CAM_METHOD_SCORECAM,
  CT_CAM_METHOD_ABLATIONCAM,
  CT_CAM_N_METHODS,
} CtCamMethod;

/* The forward passes a method runs per channel, beyond the one every
 * method runs. */
typedef enum {
  CT_CAM_PASSES_NONE,
  CT_CAM_PASSES_MASKED_INPUT,     /* the image masked by each channel (ct_model_score_cam) */
  CT_CAM_PASSES_ABLATED_CHANNEL,  /* each channel ablated (ct_model_ablation_cam) */
} CtCamPasses;

typedef struct {
  CtCamMethod  method;
  const char  *name;             /* the command line's and the files' name, e.g. "gradcam++" */
  const char  *title;            /* as the papers write it, e.g. "Grad-CAM++" */
  gboolean     needs_gradients;  /* a backward pass to the target layer */
  gboolean     projects;         /* the map is a first principal component (an SVD in the shim) */
  CtCamPasses  passes;           /* channel weights from one forward pass per channel */
} CtCamMethodInfo;

/* Returns: (transfer none): the table entry of @method. */
const CtCamMethodInfo *ct_cam_method_get_info    (CtCamMethod   method);
/* Returns: (transfer none): "gradcam", "hirescam", … */
const char            *ct_cam_method_to_string   (CtCamMethod   method);
gboolean               ct_cam_method_from_string (const char   *name,
                                                  CtCamMethod  *out_method);
/* Returns: (transfer full): every name, joined by @separator. */
char                  *ct_cam_method_dup_names   (const char   *separator);

/* The map of one image before ReLU, for a method that neither projects nor
 * scores channels:
 * @activations and @gradients are @channels × @height × @width (gradients
 * may be NULL for a method that needs none); @out receives height × width. */
void ct_cam_method_combine          (CtCamMethod  method,
                                     const float *activations,
                                     const float *gradients,
                                     guint        channels,
                                     guint        height,
                                     guint        width,
                                     float       *out);

/* For a method that runs passes per channel: Σ_k w_k A_k with w the
 * softmax of @scores over the channels (scorecam), or
 * (@target_score − scores_k) / @target_score (ablationcam), @target_score
 * being the target logit on the image itself; @scores (@channels values)
 * come from ct_model_score_cam() or ct_model_ablation_cam(). */
void ct_cam_method_combine_scores   (CtCamMethod  method,
                                     const float *activations,
                                     const float *scores,
                                     float        target_score,
                                     guint        channels,
                                     guint        height,
                                     guint        width,
                                     float       *out);

/* For a method that projects: the channels × height × width values whose
 * first principal component over positions is the map (A, or G ⊙ A). */
void ct_cam_method_projection_input (CtCamMethod  method,
                                     const float *activations,
                                     const float *gradients,
                                     guint        channels,
                                     guint        height,
                                     guint        width,
                                     float       *out);

G_END_DECLS
