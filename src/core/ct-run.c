/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "ct-json.h"
#include "ct-run.h"

G_DEFINE_QUARK (ct-run-error-quark, ct_run_error)

#define MANIFEST_NAME "manifest.json"
#define METRICS_NAME "metrics.jsonl"

void
ct_run_source_free (CtRunSource *source)
{
  if (source == NULL)
    return;
  g_free (source->file);
  g_free (source->sha256);
  g_free (source);
}

CtManifest *
ct_manifest_new (void)
{
  return g_new0 (CtManifest, 1);
}

void
ct_manifest_free (CtManifest *self)
{
  if (self == NULL)
    return;

  g_free (self->arch);
  g_free (self->dataset);
  g_free (self->dataset_path);
  g_strfreev (self->classes);
  g_strfreev (self->skipped_images);
  for (guint i = 0; i < self->n_layers; i++)
    g_free (self->layers[i].name);
  g_free (self->layers);
  g_free (self->default_layer);
  for (guint i = 0; i < self->n_imported; i++)
    {
      g_free (self->imported[i].file);
      g_free (self->imported[i].sha256);
    }
  g_free (self->imported);
  ct_run_source_free (self->init);
  g_free (self->camtrail_version);
  g_free (self->torch_version);
  g_free (self->created);
  g_free (self->dist_backend);
  for (guint i = 0; i < self->n_segments; i++)
    g_free (self->segments[i].backend);
  g_free (self->segments);
  g_free (self);
}

/* The first segment, from the fields of the "distributed" object. */
static CtRunSegment
first_segment (const CtManifest *self)
{
  CtRunSegment first = { 1, MAX (self->world_size, 1), self->dist_backend, self->sync_bn };

  return first;
}

gboolean
ct_manifest_add_segment (CtManifest *self,
                         int         first_epoch,
                         int         world_size,
                         const char *backend,
                         gboolean    sync_bn)
{
  guint kept;
  const CtRunSegment *last;

  g_return_val_if_fail (self != NULL && first_epoch >= 1 && world_size >= 1, FALSE);

  /* Nothing trained yet: the run starts over as this group. */
  if (first_epoch == 1)
    {
      gboolean changed = self->n_segments > 0 || self->world_size != world_size ||
                         g_strcmp0 (self->dist_backend, backend) != 0 ||
                         !self->sync_bn != !sync_bn;

      for (guint i = 0; i < self->n_segments; i++)
        g_free (self->segments[i].backend);
      g_clear_pointer (&self->segments, g_free);
      self->n_segments = 0;
      self->world_size = world_size;
      g_free (self->dist_backend);
      self->dist_backend = g_strdup (backend);
      self->sync_bn = sync_bn;
      return changed;
    }
  if (self->n_segments == 0)
    {
      CtRunSegment first = first_segment (self);

      self->segments = g_new0 (CtRunSegment, 1);
      self->segments[0] = first;
      self->segments[0].backend = g_strdup (first.backend);
      self->n_segments = 1;
    }
  /* The first segment stays: the run was created by it. */
  for (kept = 1; kept < self->n_segments; kept++)
    if (self->segments[kept].first_epoch >= first_epoch)
      break;
  last = &self->segments[kept - 1];
  if (last->world_size == world_size && g_strcmp0 (last->backend, backend) == 0 &&
      !last->sync_bn == !sync_bn)
    {
      gboolean changed = kept < self->n_segments;

      for (guint i = kept; i < self->n_segments; i++)
        g_free (self->segments[i].backend);
      self->n_segments = kept;
      return changed;
    }
  for (guint i = kept; i < self->n_segments; i++)
    g_free (self->segments[i].backend);
  self->segments = g_renew (CtRunSegment, self->segments, kept + 1);
  self->segments[kept].first_epoch = first_epoch;
  self->segments[kept].world_size = world_size;
  self->segments[kept].backend = g_strdup (backend);
  self->segments[kept].sync_bn = sync_bn;
  self->n_segments = kept + 1;
  return TRUE;
}


static void
add_source (JsonBuilder       *builder,
            const CtRunSource *source,
            gboolean           with_epoch)
{
  json_builder_begin_object (builder);
  if (with_epoch)
    {
      json_builder_set_member_name (builder, "epoch");
      json_builder_add_int_value (builder, source->epoch);
    }
  json_builder_set_member_name (builder, "file");
  json_builder_add_string_value (builder, source->file);
  json_builder_set_member_name (builder, "sha256");
  json_builder_add_string_value (builder, source->sha256);
  json_builder_end_object (builder);
}

static void
add_float_array (JsonBuilder *builder,
                 const char  *name,
                 const float *values,
                 int          n)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (int i = 0; i < n; i++)
    json_builder_add_double_value (builder, values[i]);
  json_builder_end_array (builder);
}

gboolean
ct_manifest_save (const CtManifest *self,
                  const char       *run_dir,
                  GError          **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *path = g_build_filename (run_dir, MANIFEST_NAME, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, "camtrail-run-1");

  json_builder_set_member_name (builder, "model");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "arch");
  json_builder_add_string_value (builder, self->arch);
  json_builder_set_member_name (builder, "width");
  json_builder_add_int_value (builder, self->width);
  json_builder_set_member_name (builder, "input_size");
  json_builder_add_int_value (builder, self->input_size);
  json_builder_set_member_name (builder, "default_layer");
  json_builder_add_string_value (builder, self->default_layer);
  json_builder_set_member_name (builder, "layers");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->n_layers; i++)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, self->layers[i].name);
      json_builder_set_member_name (builder, "channels");
      json_builder_add_int_value (builder, self->layers[i].channels);
      json_builder_set_member_name (builder, "height");
      json_builder_add_int_value (builder, self->layers[i].height);
      json_builder_set_member_name (builder, "width");
      json_builder_add_int_value (builder, self->layers[i].width);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "dataset");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, self->dataset);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, self->dataset_path);
  json_builder_set_member_name (builder, "classes");
  json_builder_begin_array (builder);
  for (int i = 0; i < self->n_classes; i++)
    json_builder_add_string_value (builder, self->classes[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "channels");
  json_builder_add_int_value (builder, self->channels);
  json_builder_set_member_name (builder, "image_size");
  json_builder_add_int_value (builder, self->image_size);
  add_float_array (builder, "mean", self->mean, self->channels);
  add_float_array (builder, "std", self->std, self->channels);
  json_builder_set_member_name (builder, "train_images");
  json_builder_add_int_value (builder, self->train_images);
  if (self->skip_bad)
    {
      json_builder_set_member_name (builder, "skip_bad");
      json_builder_add_boolean_value (builder, TRUE);
    }
  if (self->skipped_images != NULL && self->skipped_images[0] != NULL)
    {
      json_builder_set_member_name (builder, "skipped_images");
      json_builder_begin_array (builder);
      for (guint i = 0; self->skipped_images[i] != NULL; i++)
        json_builder_add_string_value (builder, self->skipped_images[i]);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "training");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "epochs");
  json_builder_add_int_value (builder, self->hyper.epochs);
  json_builder_set_member_name (builder, "batch_size");
  json_builder_add_int_value (builder, self->hyper.batch_size);
  json_builder_set_member_name (builder, "lr");
  json_builder_add_double_value (builder, self->hyper.lr);
  json_builder_set_member_name (builder, "warmup_epochs");
  json_builder_add_double_value (builder, self->hyper.warmup_epochs);
  json_builder_set_member_name (builder, "momentum");
  json_builder_add_double_value (builder, self->hyper.momentum);
  json_builder_set_member_name (builder, "nesterov");
  json_builder_add_boolean_value (builder, self->hyper.nesterov);
  json_builder_set_member_name (builder, "weight_decay");
  json_builder_add_double_value (builder, self->hyper.weight_decay);
  json_builder_set_member_name (builder, "label_smoothing");
  json_builder_add_double_value (builder, self->hyper.label_smoothing);
  json_builder_set_member_name (builder, "flip");
  json_builder_add_boolean_value (builder, self->hyper.flip);
  json_builder_set_member_name (builder, "translate");
  json_builder_add_int_value (builder, self->hyper.translate);
  json_builder_set_member_name (builder, "lr_start");
  json_builder_add_double_value (builder, self->hyper.lr_start);
  json_builder_set_member_name (builder, "lr_end");
  json_builder_add_double_value (builder, self->hyper.lr_end);
  json_builder_set_member_name (builder, "bias_lr_scale");
  json_builder_add_double_value (builder, self->hyper.bias_lr_scale);
  json_builder_set_member_name (builder, "alternate_flip");
  json_builder_add_boolean_value (builder, self->hyper.alternate_flip);
  json_builder_set_member_name (builder, "translate_reflect");
  json_builder_add_boolean_value (builder, self->hyper.translate_reflect);
  json_builder_set_member_name (builder, "whiten");
  json_builder_add_boolean_value (builder, self->hyper.whiten);
  json_builder_set_member_name (builder, "stem_bias_epochs");
  json_builder_add_int_value (builder, self->hyper.stem_bias_epochs);
  json_builder_set_member_name (builder, "stem_plain_bias");
  json_builder_add_boolean_value (builder, self->hyper.stem_plain_bias);
  json_builder_set_member_name (builder, "lookahead");
  json_builder_add_boolean_value (builder, self->hyper.lookahead);
  json_builder_set_member_name (builder, "tta");
  json_builder_add_int_value (builder, self->hyper.tta);
  if (self->hyper.whiten)
    {
      /* For people reading the file: epoch 0 is not the seed's alone. */
      g_autofree char *text = g_strdup_printf ("from the seed, then the stem whitened from the "
                                               "first %u training images",
                                               MIN (self->train_images, CT_WHITEN_IMAGES));
      json_builder_set_member_name (builder, "initial_weights");
      json_builder_add_string_value (builder, text);
    }
  /* A JSON number loses bits above 2^53, so the seed is a string. */
  json_builder_set_member_name (builder, "seed");
  {
    g_autofree char *seed = g_strdup_printf ("%" G_GUINT64_FORMAT, self->hyper.seed);
    json_builder_add_string_value (builder, seed);
  }
  json_builder_set_member_name (builder, "precision");
  json_builder_add_string_value (builder, self->mixed_precision ? "bf16-mixed" : "fp32");
  if (self->init != NULL)
    {
      json_builder_set_member_name (builder, "init");
      add_source (builder, self->init, FALSE);
    }
  json_builder_end_object (builder);

  if (self->n_imported > 0)
    {
      json_builder_set_member_name (builder, "imported");
      json_builder_begin_array (builder);
      for (guint i = 0; i < self->n_imported; i++)
        add_source (builder, &self->imported[i], TRUE);
      json_builder_end_array (builder);
    }
  if (self->world_size > 1)
    {
      json_builder_set_member_name (builder, "distributed");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "world_size");
      json_builder_add_int_value (builder, self->world_size);
      json_builder_set_member_name (builder, "backend");
      json_builder_add_string_value (builder, self->dist_backend);
      json_builder_set_member_name (builder, "batch_per_rank");
      json_builder_add_int_value (builder, self->hyper.batch_size / self->world_size);
      json_builder_set_member_name (builder, "sync_bn");
      json_builder_add_boolean_value (builder, self->sync_bn);
      json_builder_end_object (builder);
    }

  if (self->n_segments > 1)
    {
      json_builder_set_member_name (builder, "segments");
      json_builder_begin_array (builder);
      for (guint i = 0; i < self->n_segments; i++)
        {
          const CtRunSegment *segment = &self->segments[i];

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "first_epoch");
          json_builder_add_int_value (builder, segment->first_epoch);
          json_builder_set_member_name (builder, "world_size");
          json_builder_add_int_value (builder, segment->world_size);
          if (segment->backend != NULL)
            {
              json_builder_set_member_name (builder, "backend");
              json_builder_add_string_value (builder, segment->backend);
            }
          json_builder_set_member_name (builder, "batch_per_rank");
          json_builder_add_int_value (builder, self->hyper.batch_size / segment->world_size);
          json_builder_set_member_name (builder, "sync_bn");
          json_builder_add_boolean_value (builder, segment->sync_bn);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
    }

  json_builder_set_member_name (builder, "versions");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "camtrail");
  json_builder_add_string_value (builder, self->camtrail_version);
  json_builder_set_member_name (builder, "libtorch");
  json_builder_add_string_value (builder, self->torch_version);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "created");
  json_builder_add_string_value (builder, self->created);
  json_builder_end_object (builder);

  return ct_json_write_file (builder, path, error);
}

/* Readers that turn a missing, mistyped or out-of-range member into one
 * error naming the file and the member.  After the first error they return
 * zeros and NULLs, so a load runs to its end and checks reader.failed once. */
typedef struct {
  const char *path;
  GError    **error;
  gboolean    failed;
} Reader;

/* Limits on what sizes memory and loops: far beyond any real run, small
 * enough that a hostile manifest cannot make a model or buffer explode. */
#define MAX_SIDE         4096
#define MAX_WIDTH        4096
#define MAX_CHANNELS     (1 << 20)
#define MAX_EPOCHS       10000
#define MAX_BATCH_SIZE   (1 << 20)

G_GNUC_PRINTF (2, 3)
static void
reader_fail (Reader     *reader,
             const char *format,
             ...)
{
  g_autofree char *what = NULL;
  va_list args;

  if (reader->failed)
    return;
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (reader->error, CT_RUN_ERROR, CT_RUN_ERROR_FORMAT, "%s: %s", reader->path, what);
  reader->failed = TRUE;
}

/* The member @member of @object if it is a node of @type, else an error
 * saying it is missing or not @what. */
static JsonNode *
read_member (Reader       *reader,
             JsonObject   *object,
             const char   *member,
             JsonNodeType  type,
             const char   *what)
{
  JsonNode *node;

  if (reader->failed || object == NULL)
    return NULL;
  node = json_object_get_member (object, member);
  if (node == NULL || JSON_NODE_TYPE (node) != type)
    {
      reader_fail (reader, "\"%s\" is missing or not %s", member, what);
      return NULL;
    }
  return node;
}

static JsonObject *
read_object (Reader     *reader,
             JsonObject *object,
             const char *member)
{
  JsonNode *node = read_member (reader, object, member, JSON_NODE_OBJECT, "an object");
  return node != NULL ? json_node_get_object (node) : NULL;
}

static JsonArray *
read_array (Reader     *reader,
            JsonObject *object,
            const char *member)
{
  JsonNode *node = read_member (reader, object, member, JSON_NODE_ARRAY, "an array");
  return node != NULL ? json_node_get_array (node) : NULL;
}

/* json-glib converts between numbers, booleans and strings on request, so
 * a type is checked exactly: "lr": true is not 1.0, nor "width": 8.5 an 8. */
static gboolean
node_has_type (JsonNode *node,
               GType     type)
{
  GType found;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  found = json_node_get_value_type (node);
  return found == type || (type == G_TYPE_DOUBLE && found == G_TYPE_INT64);
}

static const char *
describe_type (GType type)
{
  if (type == G_TYPE_STRING)
    return "a string";
  if (type == G_TYPE_INT64)
    return "an integer";
  if (type == G_TYPE_DOUBLE)
    return "a number";
  return "true or false";
}

static JsonNode *
read_value (Reader     *reader,
            JsonObject *object,
            const char *member,
            GType       type)
{
  JsonNode *node;

  if (reader->failed || object == NULL)
    return NULL;
  node = json_object_get_member (object, member);
  if (!node_has_type (node, type))
    {
      reader_fail (reader, "\"%s\" is missing or not %s", member, describe_type (type));
      return NULL;
    }
  return node;
}

/* json-glib turns an escaped lone surrogate such as \ud800 into bytes that
 * are not UTF-8, which labels and messages must be. */
static char *
read_string (Reader *reader, JsonObject *object, const char *member)
{
  JsonNode *node = read_value (reader, object, member, G_TYPE_STRING);

  if (node == NULL)
    return NULL;
  if (!g_utf8_validate (json_node_get_string (node), -1, NULL))
    {
      reader_fail (reader, "\"%s\" is not valid UTF-8 once unescaped", member);
      return NULL;
    }
  return g_strdup (json_node_get_string (node));
}

/* json-glib gives integers beyond 64 bits as wrapped values, so the range
 * check also catches those that only look small once truncated to int. */
static gint64
read_int (Reader     *reader,
          JsonObject *object,
          const char *member,
          gint64      min,
          gint64      max)
{
  JsonNode *node = read_value (reader, object, member, G_TYPE_INT64);
  gint64 value;

  if (node == NULL)
    return 0;
  value = json_node_get_int (node);
  if (value < min || value > max)
    {
      reader_fail (reader, "\"%s\" is %" G_GINT64_FORMAT "; expected %" G_GINT64_FORMAT
                   " to %" G_GINT64_FORMAT, member, value, min, max);
      return 0;
    }
  return value;
}

static double
number_value (JsonNode *node)
{
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return (double) json_node_get_int (node);
  return json_node_get_double (node);
}

static double
read_double (Reader *reader, JsonObject *object, const char *member)
{
  JsonNode *node = read_value (reader, object, member, G_TYPE_DOUBLE);
  double value;

  if (node == NULL)
    return 0.0;
  value = number_value (node);
  if (!isfinite (value))
    {
      reader_fail (reader, "\"%s\" is not a finite number", member);
      return 0.0;
    }
  return value;
}

static gboolean
read_boolean (Reader *reader, JsonObject *object, const char *member)
{
  JsonNode *node = read_value (reader, object, member, G_TYPE_BOOLEAN);
  return node != NULL ? json_node_get_boolean (node) : FALSE;
}

/* Normalisation divides by std, so it must be positive. */
static void
read_floats (Reader     *reader,
             JsonObject *object,
             const char *member,
             float      *out,
             int         n,
             gboolean    positive)
{
  JsonArray *array = read_array (reader, object, member);

  if (array == NULL)
    return;
  if ((int) json_array_get_length (array) != n)
    {
      reader_fail (reader, "\"%s\" has %u values, expected %d", member,
                   json_array_get_length (array), n);
      return;
    }
  for (int i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      double value = node_has_type (node, G_TYPE_DOUBLE) ? number_value (node) : NAN;

      if (!isfinite ((float) value) || (positive && !(value > 0)))
        {
          reader_fail (reader, "value %d of \"%s\" is not a %snumber", i, member,
                       positive ? "positive " : "finite ");
          return;
        }
      out[i] = (float) value;
    }
}

static char **
read_strings (Reader     *reader,
              JsonObject *object,
              const char *member,
              int        *out_n)
{
  JsonArray *array = read_array (reader, object, member);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint n;

  *out_n = 0;
  if (array == NULL)
    return NULL;
  n = json_array_get_length (array);
  if (n == 0)
    {
      reader_fail (reader, "\"%s\" is empty", member);
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (!node_has_type (node, G_TYPE_STRING) || !g_utf8_validate (json_node_get_string (node), -1, NULL))
        {
          reader_fail (reader, "value %u of \"%s\" is not a UTF-8 string", i, member);
          return NULL;
        }
      g_strv_builder_add (builder, json_node_get_string (node));
    }
  *out_n = (int) n;
  return g_strv_builder_end (builder);
}

/* The seed is a string because JSON numbers lose bits above 2^53. */
static guint64
read_seed (Reader     *reader,
           JsonObject *object,
           const char *member)
{
  g_autofree char *text = read_string (reader, object, member);
  guint64 value = 0;

  if (text != NULL && !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &value, NULL))
    reader_fail (reader, "\"%s\" is \"%s\"; expected a decimal number below 2^64", member, text);
  return value;
}

/* "precision": "fp32" or "bf16-mixed"; runs written before the member
 * existed trained in float32. */
static gboolean
read_precision (Reader     *reader,
                JsonObject *object)
{
  g_autofree char *precision = NULL;

  if (reader->failed || object == NULL || !json_object_has_member (object, "precision"))
    return FALSE;
  precision = read_string (reader, object, "precision");
  if (precision == NULL)
    return FALSE;
  if (strcmp (precision, "bf16-mixed") != 0 && strcmp (precision, "fp32") != 0)
    reader_fail (reader, "\"precision\" is \"%s\", expected \"fp32\" or \"bf16-mixed\"",
                 precision);
  return strcmp (precision, "bf16-mixed") == 0;
}

/* A weights file's name and SHA-256 (and epoch): the object @node. */
static void
read_source (Reader      *reader,
             JsonNode    *node,
             const char  *what,
             gboolean     with_epoch,
             CtRunSource *out)
{
  JsonObject *object;

  if (reader->failed)
    return;
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      reader_fail (reader, "%s is not an object", what);
      return;
    }
  object = json_node_get_object (node);
  if (with_epoch)
    out->epoch = read_int (reader, object, "epoch", 0, MAX_EPOCHS * 10);
  out->file = read_string (reader, object, "file");
  out->sha256 = read_string (reader, object, "sha256");
}

/* Reads the whole file and parses it, refusing what would crash json-glib. */
static JsonParser *
parse_file (const char  *path,
            GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, &local_error) ||
      !ct_json_parser_load (parser, contents, length, &local_error))
    {
      g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_FORMAT,
                   "%s: %s", path, local_error->message);
      return NULL;
    }
  return g_steal_pointer (&parser);
}

CtManifest *
ct_manifest_load (const char  *run_dir,
                  GError     **error)
{
  g_autofree char *path = g_build_filename (run_dir, MANIFEST_NAME, NULL);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(CtManifest) self = NULL;
  JsonNode *root;
  JsonObject *top, *model, *dataset, *training, *versions;
  JsonArray *layers;
  Reader reader = { path, error, FALSE };

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_NOT_A_RUN,
                   "%s is not a Camtrail run: it has no %s", run_dir, MANIFEST_NAME);
      return NULL;
    }
  parser = parse_file (path, error);
  if (parser == NULL)
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_FORMAT,
                   "%s: the top level is not an object", path);
      return NULL;
    }
  top = json_node_get_object (root);
  self = ct_manifest_new ();

  model = read_object (&reader, top, "model");
  dataset = read_object (&reader, top, "dataset");
  training = read_object (&reader, top, "training");
  versions = read_object (&reader, top, "versions");

  self->arch = read_string (&reader, model, "arch");
  self->width = read_int (&reader, model, "width", 0, MAX_WIDTH);
  self->input_size = read_int (&reader, model, "input_size", 1, MAX_SIDE);
  self->default_layer = read_string (&reader, model, "default_layer");
  layers = read_array (&reader, model, "layers");
  if (layers != NULL)
    {
      self->n_layers = json_array_get_length (layers);
      self->layers = g_new0 (CtRunLayer, self->n_layers);
      for (guint i = 0; i < self->n_layers && !reader.failed; i++)
        {
          JsonNode *node = json_array_get_element (layers, i);
          JsonObject *layer;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              reader_fail (&reader, "layer %u is not an object", i);
              break;
            }
          layer = json_node_get_object (node);
          self->layers[i].name = read_string (&reader, layer, "name");
          self->layers[i].channels = read_int (&reader, layer, "channels", 1, MAX_CHANNELS);
          self->layers[i].height = read_int (&reader, layer, "height", 1, MAX_SIDE);
          self->layers[i].width = read_int (&reader, layer, "width", 1, MAX_SIDE);
        }
    }

  self->dataset = read_string (&reader, dataset, "name");
  self->dataset_path = read_string (&reader, dataset, "path");
  self->channels = read_int (&reader, dataset, "channels", 1, 3);
  if (!reader.failed && self->channels == 2)
    reader_fail (&reader, "dataset.channels is 2, expected 1 or 3");
  self->image_size = read_int (&reader, dataset, "image_size", 1, MAX_SIDE);
  self->train_images = read_int (&reader, dataset, "train_images", 1, G_MAXUINT);
  self->classes = read_strings (&reader, dataset, "classes", &self->n_classes);
  /* Image folders only, and only when asked for or when images were skipped. */
  if (!reader.failed && json_object_has_member (dataset, "skip_bad"))
    self->skip_bad = read_boolean (&reader, dataset, "skip_bad");
  if (!reader.failed && json_object_has_member (dataset, "skipped_images"))
    {
      int n_skipped;

      self->skipped_images = read_strings (&reader, dataset, "skipped_images", &n_skipped);
    }
  read_floats (&reader, dataset, "mean", self->mean, self->channels, FALSE);
  read_floats (&reader, dataset, "std", self->std, self->channels, TRUE);

  self->hyper.epochs = read_int (&reader, training, "epochs", 1, MAX_EPOCHS);
  self->hyper.batch_size = read_int (&reader, training, "batch_size", 1, MAX_BATCH_SIZE);
  self->hyper.lr = read_double (&reader, training, "lr");
  self->hyper.warmup_epochs = read_double (&reader, training, "warmup_epochs");
  self->hyper.momentum = read_double (&reader, training, "momentum");
  self->hyper.nesterov = read_boolean (&reader, training, "nesterov");
  self->hyper.weight_decay = read_double (&reader, training, "weight_decay");
  self->hyper.label_smoothing = read_double (&reader, training, "label_smoothing");
  self->hyper.flip = read_boolean (&reader, training, "flip");
  self->hyper.translate = read_int (&reader, training, "translate", 0, MAX_SIDE);
  /* Added with airbench's recipe; a run from before has the old schedule
   * (0 → lr → 0) and none of the rest. */
  self->hyper.bias_lr_scale = 1.0;
#define OPTIONAL(member, read) \
  if (!reader.failed && json_object_has_member (training, member)) \
    self->hyper.read
  OPTIONAL ("lr_start", lr_start = read_double (&reader, training, "lr_start"));
  OPTIONAL ("lr_end", lr_end = read_double (&reader, training, "lr_end"));
  OPTIONAL ("bias_lr_scale", bias_lr_scale = read_double (&reader, training, "bias_lr_scale"));
  OPTIONAL ("alternate_flip", alternate_flip = read_boolean (&reader, training, "alternate_flip"));
  OPTIONAL ("translate_reflect",
            translate_reflect = read_boolean (&reader, training, "translate_reflect"));
  OPTIONAL ("whiten", whiten = read_boolean (&reader, training, "whiten"));
  OPTIONAL ("stem_bias_epochs",
            stem_bias_epochs = read_int (&reader, training, "stem_bias_epochs", 0, MAX_EPOCHS));
  OPTIONAL ("stem_plain_bias",
            stem_plain_bias = read_boolean (&reader, training, "stem_plain_bias"));
  OPTIONAL ("lookahead", lookahead = read_boolean (&reader, training, "lookahead"));
  OPTIONAL ("tta", tta = read_int (&reader, training, "tta", 0, 2));
#undef OPTIONAL
  self->hyper.seed = read_seed (&reader, training, "seed");
  self->mixed_precision = read_precision (&reader, training);
  if (!reader.failed && json_object_has_member (training, "init"))
    {
      self->init = g_new0 (CtRunSource, 1);
      read_source (&reader, json_object_get_member (training, "init"), "\"init\"", FALSE, self->init);
    }
  if (!reader.failed && json_object_has_member (top, "imported"))
    {
      JsonArray *imported = read_array (&reader, top, "imported");

      if (imported != NULL)
        {
          self->n_imported = json_array_get_length (imported);
          self->imported = g_new0 (CtRunSource, self->n_imported);
          for (guint i = 0; i < self->n_imported; i++)
            read_source (&reader, json_array_get_element (imported, i), "an \"imported\" entry",
                         TRUE, &self->imported[i]);
        }
    }

  self->world_size = 1;
  if (json_object_has_member (top, "distributed"))
    {
      JsonObject *distributed = read_object (&reader, top, "distributed");

      self->world_size = read_int (&reader, distributed, "world_size", 2, G_MAXINT);
      self->dist_backend = read_string (&reader, distributed, "backend");
      /* Absent before --sync-bn existed: plain BatchNorm. */
      if (distributed != NULL && json_object_has_member (distributed, "sync_bn"))
        self->sync_bn = read_boolean (&reader, distributed, "sync_bn");
    }

  if (json_object_has_member (top, "segments"))
    {
      JsonArray *segments = read_array (&reader, top, "segments");
      guint n = segments != NULL ? json_array_get_length (segments) : 0;

      if (segments != NULL && n < 2)
        reader_fail (&reader, "\"segments\" lists fewer than two");
      else if (segments != NULL)
        {
          self->segments = g_new0 (CtRunSegment, n);
          self->n_segments = n;
          for (guint i = 0; i < n && !reader.failed; i++)
            {
              JsonNode *node = json_array_get_element (segments, i);
              JsonObject *segment = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
              CtRunSegment *out = &self->segments[i];

              if (segment == NULL)
                {
                  reader_fail (&reader, "a \"segments\" entry is not an object");
                  break;
                }
              out->first_epoch = read_int (&reader, segment, "first_epoch", 1, MAX_EPOCHS);
              out->world_size = read_int (&reader, segment, "world_size", 1, G_MAXINT);
              if (json_object_has_member (segment, "backend"))
                out->backend = read_string (&reader, segment, "backend");
              out->sync_bn = read_boolean (&reader, segment, "sync_bn");
              if (!reader.failed && (i == 0 ? out->first_epoch != 1
                                            : out->first_epoch <= self->segments[i - 1].first_epoch))
                reader_fail (&reader, "\"segments\" must start at epoch 1 and go forward");
            }
        }
    }

  self->camtrail_version = read_string (&reader, versions, "camtrail");
  self->torch_version = read_string (&reader, versions, "libtorch");
  self->created = read_string (&reader, top, "created");

  if (reader.failed)
    return NULL;

  return g_steal_pointer (&self);
}

/* A metric is a number or null (NaN); a missing one is NaN too, so older
 * files without images_per_second still load. */
static gboolean
get_metric (JsonObject *object,
            const char *name,
            double     *out_value)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      *out_value = NAN;
      return TRUE;
    }
  if (!node_has_type (node, G_TYPE_DOUBLE))
    return FALSE;
  *out_value = number_value (node);
  return TRUE;
}

/* One line of metrics.jsonl; @error only says what is wrong, the caller adds
 * the file and the line. */
static gboolean
parse_metrics_line (const char      *line,
                    CtEpochMetrics  *m,
                    GError         **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  struct { const char *name; double *value; } fields[] = {
    { "train_loss", &m->train_loss },
    { "train_accuracy", &m->train_accuracy },
    { "test_loss", &m->test_loss },
    { "test_accuracy", &m->test_accuracy },
    { "seconds", &m->seconds },
    { "images_per_second", &m->images_per_second },
    { "test_loss_tta", &m->test_loss_tta },
    { "test_accuracy_tta", &m->test_accuracy_tta },
  };
  JsonObject *object;
  JsonNode *root, *epoch;

  if (!ct_json_parser_load (parser, line, strlen (line), error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_FORMAT, "not an object");
      return FALSE;
    }
  object = json_node_get_object (root);

  epoch = json_object_get_member (object, "epoch");
  if (!node_has_type (epoch, G_TYPE_INT64) ||
      json_node_get_int (epoch) < 0 || json_node_get_int (epoch) > G_MAXINT)
    {
      g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_FORMAT,
                   "\"epoch\" is missing or not an integer from 0 to %d", G_MAXINT);
      return FALSE;
    }
  m->epoch = (int) json_node_get_int (epoch);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (!get_metric (object, fields[i].name, fields[i].value))
      {
        g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_FORMAT,
                     "\"%s\" is not a number or null", fields[i].name);
        return FALSE;
      }

  return TRUE;
}

GArray *
ct_metrics_load (const char  *run_dir,
                 GError     **error)
{
  g_autofree char *path = g_build_filename (run_dir, METRICS_NAME, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GArray) metrics = g_array_new (FALSE, TRUE, sizeof (CtEpochMetrics));
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *nul;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&metrics);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  /* Splitting into lines would silently drop everything after a NUL. */
  nul = memchr (contents, '\0', length);
  if (nul != NULL)
    {
      g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_FORMAT,
                   "%s: at byte %" G_GSIZE_FORMAT ": a NUL byte; expected JSON text",
                   path, (gsize) (nul - contents));
      return NULL;
    }

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      CtEpochMetrics m;

      if (*g_strstrip (lines[i]) == '\0')
        continue;
      if (!parse_metrics_line (lines[i], &m, &local_error))
        {
          g_set_error (error, CT_RUN_ERROR, CT_RUN_ERROR_FORMAT,
                       "%s line %u: not a metrics record: %s", path, i + 1, local_error->message);
          return NULL;
        }
      g_array_append_val (metrics, m);
    }

  return g_steal_pointer (&metrics);
}

gboolean
ct_metrics_save (const char  *run_dir,
                 GArray      *metrics,
                 GError     **error)
{
  g_autofree char *path = g_build_filename (run_dir, METRICS_NAME, NULL);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < metrics->len; i++)
    {
      const CtEpochMetrics *m = &g_array_index (metrics, CtEpochMetrics, i);
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *line = NULL;

      json_builder_begin_object (builder);
      ct_json_add_int (builder, "epoch", m->epoch);
      /* NaN (no value, as for epoch 0's training loss) and infinities are
       * written as null: JSON has no literal for them. */
      ct_json_add_double (builder, "train_loss", m->train_loss);
      ct_json_add_double (builder, "train_accuracy", m->train_accuracy);
      ct_json_add_double (builder, "test_loss", m->test_loss);
      ct_json_add_double (builder, "test_accuracy", m->test_accuracy);
      ct_json_add_double (builder, "seconds", m->seconds);
      ct_json_add_double (builder, "images_per_second", m->images_per_second);
      /* Only where measured: most epochs have no test-time augmentation. */
      if (!isnan (m->test_accuracy_tta))
        {
          ct_json_add_double (builder, "test_loss_tta", m->test_loss_tta);
          ct_json_add_double (builder, "test_accuracy_tta", m->test_accuracy_tta);
        }
      json_builder_end_object (builder);

      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      line = json_generator_to_data (generator, NULL);
      g_string_append (text, line);
      g_string_append_c (text, '\n');
    }

  return g_file_set_contents_full (path, text->str, text->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                   error);
}

char *
ct_run_dup_home (void)
{
  return g_build_filename (g_get_user_data_dir (), "camtrail", "runs", NULL);
}

char *
ct_run_resolve (const char *name)
{
  g_autofree char *home = NULL;
  g_autofree char *in_home = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  if (g_file_test (name, G_FILE_TEST_EXISTS) || *name == '\0' || strchr (name, '/') != NULL ||
      g_str_equal (name, ".") || g_str_equal (name, ".."))
    return g_strdup (name);
  home = ct_run_dup_home ();
  in_home = g_build_filename (home, name, NULL);
  return g_file_test (in_home, G_FILE_TEST_IS_DIR) ? g_steal_pointer (&in_home) : g_strdup (name);
}

char *
ct_run_dup_checkpoint_path (const char *run_dir,
                            int         epoch)
{
  g_autofree char *name = g_strdup_printf ("epoch-%03d.safetensors", epoch);

  return g_build_filename (run_dir, name, NULL);
}

static int
compare_ints (gconstpointer a,
              gconstpointer b)
{
  return *(const int *) a - *(const int *) b;
}

GArray *
ct_run_list_checkpoints (const char  *run_dir,
                         GError     **error)
{
  g_autoptr(GDir) dir = g_dir_open (run_dir, 0, error);
  g_autoptr(GArray) epochs = NULL;
  const char *name;

  if (dir == NULL)
    return NULL;

  epochs = g_array_new (FALSE, FALSE, sizeof (int));
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      char *end = NULL;
      gint64 epoch;

      /* Only the committed names: a temporary file from an interrupted
       * write never counts as a checkpoint. */
      if (!g_str_has_prefix (name, "epoch-") || !g_str_has_suffix (name, ".safetensors"))
        continue;
      epoch = g_ascii_strtoll (name + strlen ("epoch-"), &end, 10);
      if (end == name + strlen ("epoch-") || g_strcmp0 (end, ".safetensors") != 0 ||
          epoch < 0 || epoch > G_MAXINT)
        continue;
      g_array_append_vals (epochs, &(int) { (int) epoch }, 1);
    }
  g_array_sort (epochs, compare_ints);

  return g_steal_pointer (&epochs);
}

void
ct_manifest_dataset_options (const CtManifest *self,
                             CtDatasetOptions *options)
{
  g_return_if_fail (self != NULL && options != NULL);

  *options = (CtDatasetOptions) { (guint) self->image_size, self->skip_bad, NULL, NULL };
}
