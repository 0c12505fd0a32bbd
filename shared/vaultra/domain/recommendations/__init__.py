"""What to do next: actions triggered by the data, ranked by the gain the what-if engine expects."""
