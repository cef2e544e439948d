"""Domain values shared by every capability (container numbers, codes)."""
