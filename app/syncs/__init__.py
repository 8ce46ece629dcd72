"""HR system syncs: sources read on the sync queue, previewed as a diff, applied and rolled back."""
