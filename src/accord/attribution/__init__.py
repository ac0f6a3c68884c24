"""Attribution claims, positions on them, designations and name screening."""
