"""Container X-ray screening: decode, normalise, tile, detect, merge, empty check, verdict, overlay."""
