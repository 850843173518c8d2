/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "ct-rng.h"
#include "ct-session.h"
#include "ct-spec.h"

struct _CtSession
{
  GObject    parent_instance;

  GSettings *settings;            /* (nullable) */
  CtRunInfo *run;                 /* (nullable) */
  char      *epochs_text;         /* the rows as typed */
  gboolean   epochs_default;      /* the rows are CT_EPOCHS_DEFAULT, not typed */
  GArray    *epochs;              /* (nullable) (element-type int) rows resolved */
  GArray    *images;              /* (nullable) (element-type guint) columns */
  guint      image_draws;         /* random picks since the run opened */

  double     noise_sigma;
  double     rotation;
  gboolean   rotation_random;
  int        occlude_pixels;
  int        occlude_patch;
  int        rounds;
  int        seed;
  char      *layer;               /* "" for the run's default */
  char      *target_rule;         /* "predicted" or "label" */
  char      *normalisation;       /* ct_cam_scale_from_string() */
  char      *view_mode;           /* "perturbed" or "clean" */
  char      *method;              /* ct_cam_method_to_string() */
  char     **compare_methods;     /* the names a comparison shows, in order */
  GArray    *compare_values;      /* (element-type CtCamMethod) those that are methods */
  GArray    *compare_images;      /* (nullable) (element-type guint) comparing these */

  guint      change_depth;        /* > 0 inside one change of several properties */
  gboolean   changed_meanwhile;
};

enum {
  PROP_0,
  PROP_RUN_DIR,
  PROP_EPOCHS_TEXT,
  PROP_IMAGES_TEXT,
  PROP_NOISE_SIGMA,
  PROP_ROTATION,
  PROP_ROTATION_RANDOM,
  PROP_OCCLUDE_PIXELS,
  PROP_OCCLUDE_PATCH,
  PROP_ROUNDS,
  PROP_SEED,
  PROP_LAYER,
  PROP_TARGET_RULE,
  PROP_NORMALISATION,
  PROP_VIEW_MODE,
  PROP_METHOD,
  PROP_COMPARE_METHODS,
  PROP_COMPARING,
  N_PROPS
};

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (CtSession, ct_session, G_TYPE_OBJECT)

/* The settings keys that are properties of the same name: settings ↔
 * session is this table.  The perturbation's keys come first. */
static const char *const perturbation_keys[] = {
  "noise-sigma", "rotation", "rotation-random", "occlude-pixels", "occlude-patch", NULL
};
static const char *const other_keys[] = {
  "rounds", "seed", "layer", "target-rule", "normalisation", "view-mode", "method",
  "compare-methods", NULL
};

static void
begin_change (CtSession *self)
{
  if (self->change_depth++ == 0)
    g_object_freeze_notify (G_OBJECT (self));
}

static void
end_change (CtSession *self)
{
  g_return_if_fail (self->change_depth > 0);
  if (--self->change_depth > 0)
    return;
  g_object_thaw_notify (G_OBJECT (self));
  if (self->changed_meanwhile)
    {
      self->changed_meanwhile = FALSE;
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
    }
}

static void
mark_changed (CtSession *self)
{
  begin_change (self);
  self->changed_meanwhile = TRUE;
  end_change (self);
}

static gboolean
set_string (CtSession   *self,
            char       **field,
            const char  *value,
            guint        prop_id)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value != NULL ? value : "");
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
  return TRUE;
}

static gboolean
set_double (CtSession *self,
            double    *field,
            double     value,
            guint      prop_id)
{
  if (*field == value)
    return FALSE;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
  return TRUE;
}

static gboolean
set_int (CtSession *self,
         int       *field,
         int        value,
         guint      prop_id)
{
  if (*field == value)
    return FALSE;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
  return TRUE;
}

static void
set_epochs (CtSession  *self,
            const char *text,
            gboolean    is_default,
            GArray     *epochs)
{
  g_clear_pointer (&self->epochs, g_array_unref);
  self->epochs = epochs;
  self->epochs_default = is_default;
  set_string (self, &self->epochs_text, text, PROP_EPOCHS_TEXT);
  mark_changed (self);
}

/* Other columns chosen (typed, random, a robustness point): the grid
 * shows them, ending a comparison. */
static void
end_comparison (CtSession *self)
{
  if (self->compare_images == NULL)
    return;
  g_clear_pointer (&self->compare_images, g_array_unref);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPARING]);
}

static void
take_images (CtSession *self,
             GArray    *images)
{
  g_clear_pointer (&self->images, g_array_unref);
  self->images = images;
  end_comparison (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IMAGES_TEXT]);
  mark_changed (self);
}

static GArray *
resolve_epochs (CtSession   *self,
                const char  *text,
                gboolean     is_default,
                GError     **error)
{
  GArray *available = self->run->epochs;

  return ct_epochs_parse (text, (const int *) available->data, available->len,
                          is_default ? CT_EPOCHS_SKIP_MISSING : CT_EPOCHS_STRICT, error);
}

gboolean
ct_session_set_run (CtSession *self,
                    CtRunInfo *run,
                    guint      n_images)
{
  gboolean other_run;
  GArray *epochs;

  g_return_val_if_fail (CT_IS_SESSION (self), FALSE);
  g_return_val_if_fail (run != NULL && run->epochs->len > 0, FALSE);

  other_run = self->run == NULL || !g_str_equal (self->run->run_dir, run->run_dir);
  begin_change (self);
  g_clear_pointer (&self->run, ct_run_info_free);
  self->run = run;
  if (other_run)
    {
      /* A comparison is of this run's images. */
      ct_session_stop_comparing (self);
      self->image_draws = 0;
      g_clear_pointer (&self->images, g_array_unref);
      g_free (self->epochs_text);
      self->epochs_text = g_strdup (CT_EPOCHS_DEFAULT);
      self->epochs_default = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUN_DIR]);
    }

  /* Typed rows stay valid as a run gains epochs; the default list adapts. */
  epochs = resolve_epochs (self, self->epochs_text, self->epochs_default, NULL);
  if (epochs != NULL)
    set_epochs (self, self->epochs_text, self->epochs_default, epochs);
  else
    set_epochs (self, "all", FALSE, resolve_epochs (self, "all", FALSE, NULL));

  if (self->images == NULL)
    ct_session_pick_random_images (self, n_images);
  mark_changed (self);
  end_change (self);
  return other_run;
}

const CtRunInfo *
ct_session_get_run (CtSession *self)
{
  g_return_val_if_fail (CT_IS_SESSION (self), NULL);
  return self->run;
}

const char *
ct_session_get_run_dir (CtSession *self)
{
  g_return_val_if_fail (CT_IS_SESSION (self), NULL);
  return self->run != NULL ? self->run->run_dir : NULL;
}

gboolean
ct_session_set_epochs_text (CtSession   *self,
                            const char  *text,
                            GError     **error)
{
  gboolean is_default;
  GArray *epochs;

  g_return_val_if_fail (CT_IS_SESSION (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (self->run == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, _("Open a run first"));
      return FALSE;
    }
  /* The default list typed back is still the default list. */
  is_default = g_str_equal (text, CT_EPOCHS_DEFAULT);
  epochs = resolve_epochs (self, text, is_default, error);
  if (epochs == NULL)
    return FALSE;
  set_epochs (self, text, is_default, epochs);
  return TRUE;
}

gboolean
ct_session_check_epochs_text (CtSession   *self,
                              const char  *text,
                              GError     **error)
{
  g_autoptr(GArray) epochs = NULL;

  g_return_val_if_fail (CT_IS_SESSION (self), FALSE);

  if (self->run == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, _("Open a run first"));
      return FALSE;
    }
  epochs = resolve_epochs (self, text, g_str_equal (text, CT_EPOCHS_DEFAULT), error);
  return epochs != NULL;
}

gboolean
ct_session_include_epoch (CtSession  *self,
                          int         epoch,
                          GError    **error)
{
  g_autoptr(GArray) epochs = NULL;
  g_autofree char *text = NULL;
  guint at = 0;

  g_return_val_if_fail (CT_IS_SESSION (self), FALSE);

  if (self->epochs == NULL)
    return ct_session_set_epochs_text (self, "all", error);
  epochs = g_array_copy (self->epochs);
  while (at < epochs->len && g_array_index (epochs, int, at) < epoch)
    at++;
  if (at < epochs->len && g_array_index (epochs, int, at) == epoch)
    return TRUE;
  g_array_insert_val (epochs, at, epoch);
  text = ct_epochs_to_string ((const int *) epochs->data, epochs->len);
  return ct_session_set_epochs_text (self, text, error);
}

const char *
ct_session_get_epochs_text (CtSession *self)
{
  g_return_val_if_fail (CT_IS_SESSION (self), NULL);
  return self->epochs_text;
}

GArray *
ct_session_get_epochs (CtSession *self)
{
  g_return_val_if_fail (CT_IS_SESSION (self), NULL);
  return self->epochs;
}

gboolean
ct_session_set_images_text (CtSession   *self,
                            const char  *text,
                            GError     **error)
{
  GArray *images;

  g_return_val_if_fail (CT_IS_SESSION (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (self->run == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, _("Open a run first"));
      return FALSE;
    }
  images = ct_images_parse (text, self->run->n_test, error);
  if (images == NULL)
    return FALSE;
  take_images (self, images);
  return TRUE;
}

void
ct_session_set_images (CtSession   *self,
                       const guint *images,
                       guint        n_images)
{
  GArray *copy = g_array_sized_new (FALSE, FALSE, sizeof (guint), n_images);

  g_return_if_fail (CT_IS_SESSION (self));

  g_array_append_vals (copy, images, n_images);
  take_images (self, copy);
}

gboolean
ct_session_add_image (CtSession *self,
                      guint      image)
{
  g_return_val_if_fail (CT_IS_SESSION (self), FALSE);

  for (guint k = 0; self->images != NULL && k < self->images->len; k++)
    if (g_array_index (self->images, guint, k) == image)
      return FALSE;
  if (self->images == NULL)
    self->images = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_val (self->images, image);
  end_comparison (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IMAGES_TEXT]);
  mark_changed (self);
  return TRUE;
}

void
ct_session_pick_random_images (CtSession *self,
                               guint      count)
{
  g_return_if_fail (CT_IS_SESSION (self));

  if (self->run == NULL)
    return;
  /* Each pick draws the next sample, leaving the perturbations' seed alone. */
  take_images (self, ct_rng_sample_indices (self->run->n_test, count,
                                            (guint64) self->seed + ((guint64) self->image_draws << 32)));
  self->image_draws++;
}

GArray *
ct_session_get_images (CtSession *self)
{
  g_return_val_if_fail (CT_IS_SESSION (self), NULL);
  return self->images;
}

char *
ct_session_dup_images_text (CtSession *self)
{
  g_return_val_if_fail (CT_IS_SESSION (self), NULL);

  if (self->images == NULL)
    return g_strdup ("");
  return ct_images_to_string ((const guint *) self->images->data, self->images->len);
}

void
ct_session_get_perturb (CtSession *self,
                        CtPerturb *out_perturb)
{
  g_return_if_fail (CT_IS_SESSION (self));

  ct_perturb_init (out_perturb);
  out_perturb->seed = self->seed;
  if (!g_str_equal (self->view_mode, "perturbed"))
    return;
  out_perturb->noise_sigma = self->noise_sigma;
  out_perturb->rotate_random = self->rotation_random;
  /* A random rotation is within ±a: the sign of a fixed angle means nothing there. */
  out_perturb->rotate_degrees = self->rotation_random ? fabs (self->rotation) : self->rotation;
  out_perturb->occlude_count = self->occlude_pixels;
  out_perturb->occlude_patch = self->occlude_patch;
}

gboolean
ct_session_set_perturb (CtSession       *self,
                        const CtPerturb *perturb)
{
  g_return_val_if_fail (CT_IS_SESSION (self), FALSE);

  if (perturb->corruption.kind != CT_CORRUPTION_NONE ||
      perturb->rotate_interp != CT_INTERP_NEAREST || perturb->occlude_fill != CT_FILL_ZERO)
    return FALSE;

  begin_change (self);
  g_object_set (self,
                "noise-sigma", perturb->noise_sigma,
                "rotation", perturb->rotate_degrees,
                "rotation-random", perturb->rotate_random,
                "occlude-pixels", (int) perturb->occlude_count,
                "occlude-patch", (int) perturb->occlude_patch,
                "view-mode", "perturbed",
                NULL);
  end_change (self);
  return TRUE;
}

void
ct_session_reset_perturbation (CtSession *self)
{
  g_return_if_fail (CT_IS_SESSION (self));

  begin_change (self);
  for (guint i = 0; perturbation_keys[i] != NULL; i++)
    {
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (self),
                                                        perturbation_keys[i]);

      g_object_set_property (G_OBJECT (self), perturbation_keys[i],
                             g_param_spec_get_default_value (pspec));
    }
  end_change (self);
}

void
ct_session_compare_methods (CtSession   *self,
                            const guint *images,
                            guint        n_images)
{
  g_return_if_fail (CT_IS_SESSION (self));
  g_return_if_fail (n_images > 0);

  g_clear_pointer (&self->compare_images, g_array_unref);
  self->compare_images = g_array_sized_new (FALSE, FALSE, sizeof (guint), n_images);
  g_array_append_vals (self->compare_images, images, n_images);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPARING]);
  mark_changed (self);
}

void
ct_session_stop_comparing (CtSession *self)
{
  g_return_if_fail (CT_IS_SESSION (self));

  if (self->compare_images == NULL)
    return;
  end_comparison (self);
  mark_changed (self);
}

GArray *
ct_session_get_compare_images (CtSession *self)
{
  g_return_val_if_fail (CT_IS_SESSION (self), NULL);
  return self->compare_images;
}

/* The methods of @names that exist, each once, in order: a name saved by
 * a later version, or typed wrong with gsettings, is left out. */
static void
set_compare_methods (CtSession         *self,
                     const char *const *names)
{
  g_strfreev (self->compare_methods);
  self->compare_methods = g_strdupv ((char **) names);
  g_array_set_size (self->compare_values, 0);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      CtCamMethod method;
      gboolean seen = FALSE;

      if (!ct_cam_method_from_string (names[i], &method))
        continue;
      for (guint j = 0; j < self->compare_values->len; j++)
        seen |= g_array_index (self->compare_values, CtCamMethod, j) == method;
      if (!seen)
        g_array_append_val (self->compare_values, method);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPARE_METHODS]);
  /* Only a comparison on screen needs computing again. */
  if (self->compare_images != NULL)
    mark_changed (self);
}

gboolean
ct_session_build_request (CtSession    *self,
                          CtCamRequest *out_request)
{
  g_return_val_if_fail (CT_IS_SESSION (self), FALSE);

  memset (out_request, 0, sizeof *out_request);
  if (self->run == NULL || self->epochs == NULL || self->images == NULL)
    return FALSE;

  out_request->epochs = (const int *) self->epochs->data;
  out_request->n_epochs = self->epochs->len;
  out_request->images = (const guint *) self->images->data;
  out_request->n_images = self->images->len;
  ct_session_get_perturb (self, &out_request->perturb);
  out_request->rounds = ct_perturb_is_identity (&out_request->perturb) ? 1 : (guint) self->rounds;
  out_request->layer = *self->layer != '\0' ? self->layer : NULL;
  if (!ct_target_rule_parse (self->target_rule, (const char *const *) self->run->manifest->classes,
                             self->run->manifest->n_classes, &out_request->target_rule,
                             &out_request->target_class, NULL))
    out_request->target_rule = CT_TARGET_RULE_PREDICTED;
  if (!ct_cam_scale_from_string (self->normalisation, &out_request->scale))
    out_request->scale = CT_CAM_SCALE_IMAGE;
  if (!ct_cam_method_from_string (self->method, &out_request->method))
    out_request->method = CT_CAM_METHOD_GRADCAM;
  if (self->compare_images != NULL)
    {
      out_request->images = (const guint *) self->compare_images->data;
      out_request->n_images = self->compare_images->len;
      /* No method chosen: the grid's own, as a comparison of one. */
      if (self->compare_values->len > 0)
        {
          out_request->methods = (const CtCamMethod *) self->compare_values->data;
          out_request->n_methods = self->compare_values->len;
        }
      else
        {
          /* Points into @out_request: valid as long as it is. */
          out_request->methods = &out_request->method;
          out_request->n_methods = 1;
        }
    }
  return TRUE;
}

gboolean
ct_session_build_robustness_request (CtSession           *self,
                                     CtRobustnessRequest *out_request)
{
  GArray *epochs;
  int target_class;

  g_return_val_if_fail (CT_IS_SESSION (self), FALSE);

  memset (out_request, 0, sizeof *out_request);
  if (self->run == NULL)
    return FALSE;

  epochs = self->run->epochs;
  out_request->epochs = (const int *) epochs->data;
  out_request->n_epochs = epochs->len;
  out_request->baseline_epoch = g_array_index (epochs, int, epochs->len - 1);
  out_request->rounds = self->rounds;
  out_request->seed = self->seed;
  out_request->layer = *self->layer != '\0' ? self->layer : NULL;
  /* A study explains each image's own class: no fixed class. */
  if (!ct_target_rule_parse (self->target_rule, NULL, 0, &out_request->target_rule,
                             &target_class, NULL))
    out_request->target_rule = CT_TARGET_RULE_PREDICTED;
  /* The grid's method, as its layer: a study explains what the grid shows. */
  if (!ct_cam_method_from_string (self->method, &out_request->method))
    out_request->method = CT_CAM_METHOD_GRADCAM;
  return TRUE;
}

static void
ct_session_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  CtSession *self = CT_SESSION (object);

  switch (prop_id)
    {
    case PROP_RUN_DIR:
      g_value_set_string (value, ct_session_get_run_dir (self));
      break;
    case PROP_EPOCHS_TEXT:
      g_value_set_string (value, self->epochs_text);
      break;
    case PROP_IMAGES_TEXT:
      g_value_take_string (value, ct_session_dup_images_text (self));
      break;
    case PROP_NOISE_SIGMA:
      g_value_set_double (value, self->noise_sigma);
      break;
    case PROP_ROTATION:
      g_value_set_double (value, self->rotation);
      break;
    case PROP_ROTATION_RANDOM:
      g_value_set_boolean (value, self->rotation_random);
      break;
    case PROP_OCCLUDE_PIXELS:
      g_value_set_int (value, self->occlude_pixels);
      break;
    case PROP_OCCLUDE_PATCH:
      g_value_set_int (value, self->occlude_patch);
      break;
    case PROP_ROUNDS:
      g_value_set_int (value, self->rounds);
      break;
    case PROP_SEED:
      g_value_set_int (value, self->seed);
      break;
    case PROP_LAYER:
      g_value_set_string (value, self->layer);
      break;
    case PROP_TARGET_RULE:
      g_value_set_string (value, self->target_rule);
      break;
    case PROP_NORMALISATION:
      g_value_set_string (value, self->normalisation);
      break;
    case PROP_VIEW_MODE:
      g_value_set_string (value, self->view_mode);
      break;
    case PROP_METHOD:
      g_value_set_string (value, self->method);
      break;
    case PROP_COMPARE_METHODS:
      g_value_set_boxed (value, self->compare_methods);
      break;
    case PROP_COMPARING:
      g_value_set_boolean (value, self->compare_images != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ct_session_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  CtSession *self = CT_SESSION (object);
  gboolean changed = FALSE;

  switch (prop_id)
    {
    case PROP_NOISE_SIGMA:
      changed = set_double (self, &self->noise_sigma, g_value_get_double (value), prop_id);
      break;
    case PROP_ROTATION:
      changed = set_double (self, &self->rotation, g_value_get_double (value), prop_id);
      break;
    case PROP_ROTATION_RANDOM:
      changed = set_int (self, &self->rotation_random, g_value_get_boolean (value), prop_id);
      break;
    case PROP_OCCLUDE_PIXELS:
      changed = set_int (self, &self->occlude_pixels, g_value_get_int (value), prop_id);
      break;
    case PROP_OCCLUDE_PATCH:
      changed = set_int (self, &self->occlude_patch, g_value_get_int (value), prop_id);
      break;
    case PROP_ROUNDS:
      changed = set_int (self, &self->rounds, g_value_get_int (value), prop_id);
      break;
    case PROP_SEED:
      changed = set_int (self, &self->seed, g_value_get_int (value), prop_id);
      break;
    case PROP_LAYER:
      changed = set_string (self, &self->layer, g_value_get_string (value), prop_id);
      break;
    case PROP_TARGET_RULE:
      changed = set_string (self, &self->target_rule, g_value_get_string (value), prop_id);
      break;
    case PROP_NORMALISATION:
      changed = set_string (self, &self->normalisation, g_value_get_string (value), prop_id);
      break;
    case PROP_VIEW_MODE:
      changed = set_string (self, &self->view_mode, g_value_get_string (value), prop_id);
      break;
    case PROP_METHOD:
      changed = set_string (self, &self->method, g_value_get_string (value), prop_id);
      break;
    case PROP_COMPARE_METHODS:
      set_compare_methods (self, g_value_get_boxed (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  if (changed)
    mark_changed (self);
}

static void
ct_session_dispose (GObject *object)
{
  CtSession *self = CT_SESSION (object);

  if (self->settings != NULL)
    {
      for (guint i = 0; perturbation_keys[i] != NULL; i++)
        g_settings_unbind (self, perturbation_keys[i]);
      for (guint i = 0; other_keys[i] != NULL; i++)
        g_settings_unbind (self, other_keys[i]);
    }
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ct_session_parent_class)->dispose (object);
}

static void
ct_session_finalize (GObject *object)
{
  CtSession *self = CT_SESSION (object);

  g_clear_pointer (&self->run, ct_run_info_free);
  g_clear_pointer (&self->epochs, g_array_unref);
  g_clear_pointer (&self->images, g_array_unref);
  g_free (self->epochs_text);
  g_free (self->layer);
  g_free (self->target_rule);
  g_free (self->normalisation);
  g_free (self->view_mode);
  g_free (self->method);
  g_strfreev (self->compare_methods);
  g_clear_pointer (&self->compare_values, g_array_unref);
  g_clear_pointer (&self->compare_images, g_array_unref);

  G_OBJECT_CLASS (ct_session_parent_class)->finalize (object);
}

static void
ct_session_class_init (CtSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->dispose = ct_session_dispose;
  object_class->finalize = ct_session_finalize;
  object_class->get_property = ct_session_get_property;
  object_class->set_property = ct_session_set_property;

  properties[PROP_RUN_DIR] = g_param_spec_string ("run-dir", NULL, NULL, NULL, ro);
  properties[PROP_EPOCHS_TEXT] = g_param_spec_string ("epochs-text", NULL, NULL, CT_EPOCHS_DEFAULT, ro);
  properties[PROP_IMAGES_TEXT] = g_param_spec_string ("images-text", NULL, NULL, "", ro);
  /* Defaults and ranges as the settings schema's. */
  properties[PROP_NOISE_SIGMA] = g_param_spec_double ("noise-sigma", NULL, NULL, 0, 0.5, 0, rw);
  properties[PROP_ROTATION] = g_param_spec_double ("rotation", NULL, NULL, -180, 180, 0, rw);
  properties[PROP_ROTATION_RANDOM] = g_param_spec_boolean ("rotation-random", NULL, NULL, FALSE, rw);
  properties[PROP_OCCLUDE_PIXELS] = g_param_spec_int ("occlude-pixels", NULL, NULL, 0, 1048576, 0, rw);
  properties[PROP_OCCLUDE_PATCH] = g_param_spec_int ("occlude-patch", NULL, NULL, 1, 16, 1, rw);
  properties[PROP_ROUNDS] = g_param_spec_int ("rounds", NULL, NULL, 1, 10, 1, rw);
  properties[PROP_SEED] = g_param_spec_int ("seed", NULL, NULL, 0, G_MAXINT, 0, rw);
  properties[PROP_LAYER] = g_param_spec_string ("layer", NULL, NULL, "", rw);
  properties[PROP_TARGET_RULE] = g_param_spec_string ("target-rule", NULL, NULL, "predicted", rw);
  properties[PROP_NORMALISATION] = g_param_spec_string ("normalisation", NULL, NULL, "image", rw);
  properties[PROP_VIEW_MODE] = g_param_spec_string ("view-mode", NULL, NULL, "perturbed", rw);
  properties[PROP_METHOD] = g_param_spec_string ("method", NULL, NULL, "gradcam", rw);
  /* The settings' default is the one that counts (ct_session_init()). */
  properties[PROP_COMPARE_METHODS] = g_param_spec_boxed ("compare-methods", NULL, NULL,
                                                         G_TYPE_STRV, rw);
  /* TRUE while the grid compares methods (ct_session_compare_methods()). */
  properties[PROP_COMPARING] = g_param_spec_boolean ("comparing", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ct_session_init (CtSession *self)
{
  self->epochs_text = g_strdup (CT_EPOCHS_DEFAULT);
  self->epochs_default = TRUE;
  self->occlude_patch = 1;
  self->rounds = 1;
  self->layer = g_strdup ("");
  self->target_rule = g_strdup ("predicted");
  self->normalisation = g_strdup ("image");
  self->view_mode = g_strdup ("perturbed");
  self->method = g_strdup ("gradcam");
  self->compare_values = g_array_new (FALSE, FALSE, sizeof (CtCamMethod));
  {
    static const char *const defaults[] = {
      "gradcam", "hirescam", "gradcam++", "xgradcam", "layercam", "eigencam", NULL
    };

    set_compare_methods (self, defaults);
  }
}

CtSession *
ct_session_new (GSettings *settings)
{
  CtSession *self = g_object_new (CT_TYPE_SESSION, NULL);

  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), self);

  if (settings != NULL)
    {
      self->settings = g_object_ref (settings);
      for (guint i = 0; perturbation_keys[i] != NULL; i++)
        g_settings_bind (settings, perturbation_keys[i], self, perturbation_keys[i],
                         G_SETTINGS_BIND_DEFAULT);
      for (guint i = 0; other_keys[i] != NULL; i++)
        g_settings_bind (settings, other_keys[i], self, other_keys[i], G_SETTINGS_BIND_DEFAULT);
    }
  return self;
}
