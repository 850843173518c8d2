/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include <stdio.h>

#include "ct-colormap.h"

/* Prints the colour ct_colormap_lookup() gives each of the 256 byte levels
 * of every colormap, one "NAME LEVEL R G B" line each, for
 * colormap_reference.py to compare with OpenCV's and matplotlib's tables.
 * The value asked for is the middle of the level's interval, so the
 * lookup's quantisation (truncating 255·v) lands on the level itself. */
int
main (void)
{
  static const CtColormap colormaps[] = {
    CT_COLORMAP_JET, CT_COLORMAP_VIRIDIS, CT_COLORMAP_INFERNO, CT_COLORMAP_TURBO,
  };

  for (guint m = 0; m < G_N_ELEMENTS (colormaps); m++)
    for (guint level = 0; level < 256; level++)
      {
        guint8 rgb[3];

        ct_colormap_lookup (colormaps[m], (level + 0.5f) / 255.0f, rgb);
        printf ("%s %u %u %u %u\n", ct_colormap_to_string (colormaps[m]), level,
                rgb[0], rgb[1], rgb[2]);
      }
  return 0;
}
