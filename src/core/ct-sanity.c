/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ct-sanity.h"

#include "ct-json.h"

#include <string.h>

/* A name's group: its first component, and the next when that is a block
 * number.  Returns: (transfer full). */
static char *
group_of (const char *name)
{
  const char *dot = strchr (name, '.');
  const char *next;

  if (dot == NULL)
    return g_strdup (name);
  next = dot + 1;
  if (g_ascii_isdigit (*next))
    {
      const char *end = next;

      while (g_ascii_isdigit (*end))
        end++;
      if (*end == '.' || *end == '\0')
        return g_strndup (name, end - name);
    }
  return g_strndup (name, dot - name);
}

GPtrArray *
ct_sanity_layer_groups (const char *const *names,
                        guint              n_names)
{
  GPtrArray *groups = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n_names; i++)
    {
      g_autofree char *group = group_of (names[i]);
      guint index;

      if (!g_ptr_array_find_with_equal_func (groups, group, g_str_equal, &index))
        g_ptr_array_add (groups, g_steal_pointer (&group));
    }
  return groups;
}

gboolean
ct_sanity_in_group (const char *name,
                    const char *group)
{
  gsize length = strlen (group);

  return strncmp (name, group, length) == 0 && (name[length] == '\0' || name[length] == '.');
}

static void
row_clear (gpointer data)
{
  CtSanityRow *row = data;

  g_free (row->against);
}

CtSanity *
ct_sanity_new (void)
{
  CtSanity *self = g_new0 (CtSanity, 1);

  self->rows = g_array_new (FALSE, TRUE, sizeof (CtSanityRow));
  g_array_set_clear_func (self->rows, row_clear);
  return self;
}

void
ct_sanity_free (CtSanity *self)
{
  if (self == NULL)
    return;
  g_free (self->run_name);
  g_free (self->arch);
  g_free (self->dataset);
  g_free (self->layer);
  g_free (self->method);
  g_free (self->image_indices);
  g_array_unref (self->rows);
  g_free (self);
}

gboolean
ct_sanity_write_csv (const CtSanity  *self,
                     const char      *path,
                     GError         **error)
{
  g_autoptr(GString) text = NULL;

  g_return_val_if_fail (self != NULL && path != NULL, FALSE);

  text = g_string_new ("epoch,against,randomised_groups,images,spearman,spearman_ci95,"
                       "ssim,ssim_ci95,top20_iou,top20_iou_ci95\n");
  for (guint r = 0; r < self->rows->len; r++)
    {
      const CtSanityRow *row = &g_array_index (self->rows, CtSanityRow, r);

      /* Group names are parameter names: no comma or quote. */
      g_string_append_printf (text, "%d,%s,%u,%u", row->epoch, row->against, row->n_randomised,
                              row->n_images);
      ct_csv_append_number (text, row->spearman);
      ct_csv_append_number (text, row->spearman_ci95);
      ct_csv_append_number (text, row->ssim);
      ct_csv_append_number (text, row->ssim_ci95);
      ct_csv_append_number (text, row->top_iou);
      ct_csv_append_number (text, row->top_iou_ci95);
      g_string_append_c (text, '\n');
    }
  return g_file_set_contents_full (path, text->str, text->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

gboolean
ct_sanity_write_json (const CtSanity  *self,
                      const char      *path,
                      GError         **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (self != NULL && path != NULL, FALSE);

  json_builder_begin_object (builder);
  ct_json_add_string (builder, "run", self->run_name);
  ct_json_add_string (builder, "arch", self->arch);
  ct_json_add_string (builder, "dataset", self->dataset);
  ct_json_add_string (builder, "layer", self->layer);
  ct_json_add_string (builder, "method", self->method);
  ct_json_add_string (builder, "target", "label");
  ct_json_add_seed (builder, "seed", self->seed);
  json_builder_set_member_name (builder, "images");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->n_images; i++)
    json_builder_add_int_value (builder, self->image_indices[i]);
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "rows");
  json_builder_begin_array (builder);
  for (guint r = 0; r < self->rows->len; r++)
    {
      const CtSanityRow *row = &g_array_index (self->rows, CtSanityRow, r);

      json_builder_begin_object (builder);
      ct_json_add_int (builder, "epoch", row->epoch);
      ct_json_add_string (builder, "against", row->against);
      ct_json_add_int (builder, "randomised_groups", row->n_randomised);
      ct_json_add_int (builder, "images", row->n_images);
      ct_json_add_mean_ci95 (builder, "spearman", row->spearman, row->spearman_ci95);
      ct_json_add_mean_ci95 (builder, "ssim", row->ssim, row->ssim_ci95);
      ct_json_add_mean_ci95 (builder, "top20_iou", row->top_iou, row->top_iou_ci95);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  return ct_json_write_file (builder, path, error);
}
